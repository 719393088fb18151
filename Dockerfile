# syntax=docker/dockerfile:1
# preflight: the agent and the coordinator in one image.
#   docker build -t preflight:0.1.0 .
# Stage 1 builds the fat jar (with the JNI library, compiled from C) using Maven; stage 2 is the
# CUDA 12 runtime (cudart and NCCL, which the bench loads at run time) plus a Java runtime.
# The image runs as a non-root user; the agent DaemonSet sets UID 0 with IPC_LOCK itself
# (deploy/kubernetes/agent-daemonset.yaml), as added capabilities have no effect for other UIDs.
# NVIDIA_VISIBLE_DEVICES=void: a container of this image gets GPUs only by asking for them (the
# device plugin's nvidia.com/gpu, or a CDI device), never every GPU of the node by default as the
# CUDA base image's "all" would give it.
# No image has been built from this file so far (see README, Deployment).

FROM maven:3.9-eclipse-temurin-17 AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc make libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# the cache mount keeps downloaded dependencies between builds
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre-jammy AS jre

FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
ENV JAVA_HOME=/opt/java/openjdk \
    PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NVIDIA_VISIBLE_DEVICES=void \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
COPY --from=jre /opt/java/openjdk /opt/java/openjdk
COPY --from=build /src/coordinator/target/preflight.jar /opt/preflight/preflight.jar
RUN groupadd --gid 1000 preflight \
    && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin preflight
USER 1000:1000
# gRPC (agent) and HTTP /metrics, /healthz
EXPOSE 7744 9744
ENTRYPOINT ["java", "-jar", "/opt/preflight/preflight.jar"]
CMD ["--help"]
