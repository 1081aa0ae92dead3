"""Members, logbooks and demes as plain data (dicts, lists, tensors, numbers): what a checkpoint stores and an
island's messages carry, and their inverses. Files are :mod:`evogan.io.checkpoint`'s business, not this module's."""

from __future__ import annotations

from .individual import Individual

__all__ = ["individual_state", "individual_from_state", "logbook_state", "fill_logbook", "fill_halloffame",
           "deme_state", "load_deme_state"]


def individual_state(ind) -> dict:
    """A member as plain data (weights, Adam state, lineage, scores, fitness)."""
    return {"weights": dict(ind), "adam": ind.adam, "lineage": ind.lineage, "scores": ind.scores,
            "fitness": list(ind.fitness.values) if ind.fitness.valid else None}


def individual_from_state(state: dict) -> Individual:
    """The inverse of ``individual_state``."""
    ind = Individual(state["weights"], adam=state["adam"], lineage=state["lineage"], scores=state["scores"])
    if state["fitness"] is not None:
        ind.fitness.values = tuple(state["fitness"])
    return ind


def logbook_state(logbook) -> dict:
    return {"rows": [dict(row) for row in logbook],
            "chapters": {name: [dict(row) for row in book] for name, book in logbook.chapters.items()}}


def fill_logbook(logbook, state: dict) -> None:
    logbook.clear()
    logbook.chapters.clear()
    logbook.extend(state["rows"])
    for name, rows in state["chapters"].items():
        logbook.chapters[name].extend(rows)


def fill_halloffame(halloffame, states: list) -> None:
    halloffame.clear()
    for state in states:
        halloffame.insert(individual_from_state(state))


def deme_state(deme) -> dict:
    """A deme's population, adversary, logbook and hall of fame as plain data."""
    return {"population": [individual_state(i) for i in deme.population], "adversary": deme.adversary.state_dict(),
            "logbook": logbook_state(deme.logbook), "halloffame": [individual_state(i) for i in deme.halloffame]}


def load_deme_state(deme, state: dict) -> None:
    """The inverse of ``deme_state``, into an existing deme."""
    deme.population[:] = [individual_from_state(s) for s in state["population"]]
    deme.adversary.load_state_dict(state["adversary"])
    fill_logbook(deme.logbook, state["logbook"])
    fill_halloffame(deme.halloffame, state["halloffame"])
