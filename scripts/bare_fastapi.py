"""The reference for scripts/baseline-overhead: FastAPI's hello world and nothing else."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/baseline")
async def baseline() -> dict[str, str]:
    return {"message": "Hello World"}
