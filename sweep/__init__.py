"""`bgbench sweep`: run a matrix of cells, each against a fresh target app process."""
