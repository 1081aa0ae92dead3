"""The evolutionary model, on DEAP: what every run is made of.

- :mod:`.individual`: the DEAP individual (a generator's state dict with its Adam state, lineage and scores);
- :mod:`.algorithms`: the generation loop (vary, breed, select), written like DEAP's ``eaMuCommaLambda``;
- :mod:`.strategy`: the DEAP toolbox a config builds (operators registered with ``functools.partial``);
- :mod:`.deme`: a population with its own discriminator, strategy and data;
- :mod:`.seeding`, :mod:`.adam`, :mod:`.schedule`, :mod:`.sampling`, :mod:`.registry`: the reproducible
  random streams, per-individual Adam, learning-rate schedules, drawing samples, and the name -> function
  registries every extension point uses.

Nothing here imports the layers above it (populations, parallel, io, the runner).
"""
