"""One module per resource; each handler implements the correct behaviour and nothing else."""
