# The app in one image: slim Python 3.12, the CPU-only torch wheel, a non-root user, a health check.
# Everything the app needs (weights, digits, texts) is copied in; nothing is downloaded at run time.
#   docker build -t elbo-vae .   &&   docker run -p 8501:8501 elbo-vae
# For a class, several replicas behind HAProxy: `docker compose up` (compose.yaml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# requirements.txt names PyTorch's CPU-only torch 2.13.0 wheel for Linux x86-64 + Python 3.12 (this
# image), not PyPI's ~2.8 GiB CUDA build; on arm64 it falls back to the plain pin (PyPI's aarch64
# torch wheel is CPU-only). Installed first, so code changes do not reinstall torch.
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 student
COPY --chown=student:student . .
USER student

EXPOSE 8501
# /_stcore/health answers "ok" once the server is up; no curl in the slim image, so Python asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2)"]

# .streamlit/config.toml (copied above) sets headless, no usage stats, no file watcher, no post-run GC.
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
