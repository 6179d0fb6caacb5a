# Zhiku: the chat page with the packaged models. Build: docker build -t zhiku .
# Run:   docker run -p 127.0.0.1:7860:7860 -v zhiku-data:/data zhiku
FROM python:3.11-slim AS build
# Debian's versions move with security updates; pinning them would break the build at the next point release.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
# torch from PyPI is the CUDA build (gigabytes); the CPU build comes from PyTorch's own index.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
WORKDIR /src
# Wheels in wheels/ (make docker-check puts a prebuilt llama-cpp-python there) are taken before any index.
COPY wheels /wheels
COPY pyproject.toml requirements.lock README.md ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --find-links /wheels --extra-index-url "$TORCH_INDEX" "torch==2.13.0"
# llama.cpp compiles once, in a layer of its own: a code change does not rebuild it.
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF" /opt/venv/bin/pip install --no-cache-dir --find-links /wheels \
    "$(grep -i '^llama.cpp.python==' requirements.lock)"
# Then the other dependencies (pyproject's list, at the lock's versions), and the code last: a code change
# rebuilds one small layer.
RUN /opt/venv/bin/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/dependencies.txt \
    && /opt/venv/bin/pip install --no-cache-dir --find-links /wheels -c requirements.lock -r /tmp/dependencies.txt
COPY core core
COPY ingest ingest
COPY app app
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
# OpenCV (used by the OCR engine) loads libGL and GLib at import, even headless.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 zhiku && mkdir /data && chown zhiku /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=zhiku config.yaml ./
COPY --chown=zhiku prompts prompts
COPY --chown=zhiku examples examples
USER 1000
ENV PATH=/opt/venv/bin:$PATH ZHIKU_CONFIG=/app/config.yaml ZHIKU_PROMPTS_DIR=/app/prompts \
    ZHIKU_DATA_DIR=/data ZHIKU_SERVER__HOST=0.0.0.0 \
    GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1
VOLUME ["/data"]
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/health', timeout=4)"]
# uvicorn finishes the requests in flight and exits on SIGTERM (docker stop); exec form, so it gets the signal.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "app", "serve"]
