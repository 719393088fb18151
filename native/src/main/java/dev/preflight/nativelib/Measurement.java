package dev.preflight.nativelib;

/**
 * One (op, size) as the engine measured it on every rank.
 *
 * @param sampled validation compared sampled stripes, not every element (output above the bound)
 */
public record Measurement(MeasuredPlacement outOfPlace, MeasuredPlacement inPlace, boolean sampled) {}
