"""What a run leaves on disk and shows while it runs: checkpoints (:mod:`.checkpoint`), the line logs
(:mod:`.logfiles`), provenance, figures (:mod:`.plots`, :mod:`.figures`, :mod:`.run_figures`), TensorBoard,
the exported generator, the progress bar, the run-folder lock, output checks, and reading a run back
(:mod:`.results`). A new output file goes here."""
