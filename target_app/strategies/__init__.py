"""How the work is run: one module per dispatch strategy, each an APIRouter."""
