package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import java.util.ArrayList;
import java.util.List;

/**
 * On NVSwitch systems (HGX H100/H200/B200) each GPU registers with the fabric that Fabric Manager
 * sets up: until the state is COMPLETED with success, CUDA fails with "system not yet
 * initialized" (error 802) while nvidia-smi looks healthy.
 */
public final class FabricCheck extends GpuCheck {
    public static final String ID = "gpu.fabric";

    public FabricCheck() {
        super(ID, "on NVSwitch systems every GPU's fabric registration is COMPLETED with success (Fabric Manager running)");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        List<String> failures = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        int registering = 0;
        for (Gpu gpu : inventory.getGpusList()) {
            String state = gpu.getFabric().getState();
            if (state.isEmpty() || state.equals("NOT_SUPPORTED")) {
                continue;
            }
            registering++;
            String status = gpu.getFabric().getStatus();
            if (!state.equals("COMPLETED")) {
                failures.add(label(gpu) + " fabric " + state);
            } else if (!status.equalsIgnoreCase("Success")) {
                failures.add(label(gpu) + " fabric COMPLETED with " + status);
            }
            observed.add(subject(gpu) + " " + state + "/" + status);
        }
        if (registering == 0) {
            return Finding.skip("no GPU registers with an NVSwitch fabric (not an HGX NVSwitch system, or the "
                    + inventory.getSource() + " here does not report it)");
        }
        Finding finding = failures.isEmpty()
                ? Finding.pass("fabric registration completed on " + registering + " GPU(s)")
                : Finding.fail(firstOf(failures))
                        .remediation("start nvidia-fabricmanager (systemctl enable --now nvidia-fabricmanager) "
                                + "at the driver's exact version, then check its log");
        return finding.observed(String.join(", ", observed)).expected("COMPLETED/Success");
    }
}
