"""How demes are made and how they exchange members: DynGAN's niches (:mod:`.niches`), islands with migration
(:mod:`.islands`) over a topology (:mod:`.topology`). A new topology or a new island backend registers here
(``TOPOLOGIES``, ``ISLAND_BACKENDS``); the parallel backends fill in theirs from :mod:`evogan.parallel`."""
