package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * No GPU is hot (SuperBench's 85 °C by default) and none is held back by a hardware or thermal
 * slowdown: at rest those are a cooling fault or an asserted power brake, and under load the GPU
 * would be the slow rank every collective waits for.
 */
public final class ThermalCheck extends GpuCheck {
    public static final String ID = "gpu.thermal";
    /** Clock event reasons that mean the hardware is held back, not a setting or idleness. */
    static final Set<String> SLOWDOWNS = Set.of("hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown",
            "sw_thermal_slowdown");

    public ThermalCheck() {
        super(ID,
                "GPU temperature below the limit (85 °C by default) and no hardware, thermal or power-brake slowdown active");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        int limit = context.settings().gpu().maxTemperatureC();
        List<String> hot = new ArrayList<>();
        List<String> slowed = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        int known = 0;
        for (Gpu gpu : inventory.getGpusList()) {
            if (!gpu.hasTemperatureC()) {
                continue;
            }
            known++;
            if (gpu.getTemperatureC() >= limit) {
                hot.add(label(gpu) + " at " + gpu.getTemperatureC() + " °C");
            }
            List<String> active = new ArrayList<>();
            for (String reason : gpu.getClockEventReasonsList()) {
                if (SLOWDOWNS.contains(reason)) {
                    active.add(reason);
                }
            }
            if (!active.isEmpty()) {
                slowed.add(label(gpu) + " " + String.join("+", active));
            }
            observed.add(subject(gpu) + " " + gpu.getTemperatureC() + " °C"
                    + (gpu.hasPowerDrawWatts() ? String.format(java.util.Locale.ROOT, " %.0f W", gpu.getPowerDrawWatts()) : ""));
        }
        if (known == 0) {
            return Finding.skip("no GPU reports its temperature (" + inventory.getSource() + ")");
        }
        Finding finding;
        if (!hot.isEmpty()) {
            finding = Finding.fail(firstOf(hot) + ", at or above " + limit + " °C")
                    .remediation("check the node's cooling (fans, airflow, inlet temperature) before running on it");
        } else if (!slowed.isEmpty()) {
            finding = Finding.warn("clocks held back: " + firstOf(slowed))
                    .remediation("a power brake comes from the chassis or PSU, a thermal slowdown from cooling: check the BMC's event log");
        } else {
            finding = Finding.pass("all " + known + " GPU(s) below " + limit + " °C, no slowdown active");
        }
        for (Gpu gpu : inventory.getGpusList()) {
            if (gpu.hasTemperatureC()) {
                finding.measurement("gpu_temperature", gpu.getTemperatureC(), "°C", subject(gpu));
            }
        }
        return finding.observed(String.join(", ", observed)).expected("below " + limit + " °C, no slowdown");
    }
}
