"""A FastAPI app whose lifespan applies pending migration files before it serves requests.

    DATABASE_URL=postgresql://... uvicorn examples.fastapi_app.main:app

See ``database.py`` for the model, ``migrations/`` for the files and ``main.py`` for the app.
"""
