package dev.preflight.nativelib;

/**
 * One GPU as the CUDA runtime reports it to the worker that selected it.
 *
 * @param deviceCount GPUs the runtime sees in this process
 * @param pciBusId e.g. 0000:19:00.0
 */
public record DeviceInfo(int deviceCount, String pciBusId, long freeBytes, long totalBytes) {}
