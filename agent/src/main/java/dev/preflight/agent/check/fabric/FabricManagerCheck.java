package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.hostfs.PciTopology;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * On NVSwitch systems (HGX A100/H100: /dev/nvidia-nvswitchN, NVSwitch functions on the PCI bus) the
 * GPUs cannot talk until the fabric manager has trained the NVLink fabric: CUDA reports error 802
 * "system not yet initialized" while nvidia-smi looks healthy. The daemon must run, at the driver's
 * version. Its process is found by name in procfs (comm truncates nv-fabricmanager to 15 characters).
 */
public final class FabricManagerCheck extends Check {
    public static final String ID = "fabric.fabric_manager";
    static final String COMM = "nv-fabricmanage";
    /** What PID 1 is called when procfs shows the host's processes rather than a container's. */
    static final Set<String> HOST_INIT = Set.of("systemd", "init");
    private static final Pattern DRIVER_VERSION = Pattern.compile("Kernel Module(?: for \\S+)?\\s+(\\d+\\.\\d+(?:\\.\\d+)?)");

    static final String REMEDIATION = "install the nvidia-fabricmanager package of the driver's exact version and "
            + "'systemctl enable --now nvidia-fabricmanager'";

    public FabricManagerCheck() {
        super(ID, Scope.HOST,
                "where NVSwitches exist (/dev/nvidia-nvswitch*, NVSwitch PCI functions) the fabric manager runs, at the driver's version");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        List<String> nodes = new ArrayList<>();
        for (String name : context.list(context.fs().devfs())) {
            if (name.startsWith("nvidia-nvswitch") && !name.equals("nvidia-nvswitchctl")) {
                nodes.add(name);
            }
        }
        List<PciTopology.Function> switches = context.host().pci(context).nvSwitches();
        if (nodes.isEmpty() && switches.isEmpty()) {
            return Finding.skip("no NVSwitch on this node (no /dev/nvidia-nvswitch*, no NVSwitch PCI function): "
                    + "no fabric manager needed");
        }
        String found = nodes.size() + " /dev/nvidia-nvswitch nodes, " + switches.size() + " NVSwitch PCI functions";
        Optional<String> init = context.readIfPresent(context.fs().proc("1/comm")).map(SysfsValues::value);
        if (init.isEmpty() || !HOST_INIT.contains(init.get())) {
            return Finding.skip("cannot see the host's processes: PID 1 here is '" + init.orElse("?")
                            + "', a container's; run the agent with the host's PID namespace or --procfs on the host's /proc")
                    .observed(found);
        }
        Optional<Long> pid = fabricManagerPid(context);
        Optional<String> driver = context.readIfPresent(context.fs().proc("driver/nvidia/version")).flatMap(FabricManagerCheck::driverVersion);
        Optional<String> packaged = packagedVersion(context);
        String observed = found + "; nv-fabricmanager " + pid.map(value -> "running (pid " + value + ")").orElse("not running")
                + "; driver " + driver.orElse("?") + "; fabric manager package " + packaged.orElse("?");
        String expected = "nv-fabricmanager running, at the driver's version";
        if (pid.isEmpty()) {
            return Finding.fail("NVSwitches present but the fabric manager is not running: CUDA fails with error 802 "
                            + "'system not yet initialized'")
                    .observed(observed).expected(expected).remediation(REMEDIATION);
        }
        if (driver.isPresent() && packaged.isPresent() && !packaged.get().startsWith(driver.get())) {
            return Finding.fail("the fabric manager package is " + packaged.get() + " but the driver is " + driver.get()
                            + ": the fabric manager refuses a driver of another version")
                    .observed(observed).expected(expected).remediation(REMEDIATION);
        }
        return Finding.pass("the fabric manager runs (pid " + pid.get() + ")" + driver.map(version -> " with driver " + version).orElse(""))
                .observed(observed).expected(expected);
    }

    static Optional<Long> fabricManagerPid(CheckContext context) throws IOException {
        Path proc = context.fs().procfs();
        int scanned = 0;
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                scanned++;
                String comm;
                try {
                    comm = SysfsValues.value(HostFs.readText(entry.resolve("comm")));
                } catch (IOException e) {
                    continue;
                }
                if (comm.equals(COMM)) {
                    context.evidence(entry.resolve("comm").toString(), comm);
                    return Optional.of(Long.parseLong(name));
                }
            }
        }
        context.evidence(proc + "/*/comm", "scanned " + scanned + " processes; none is " + COMM);
        return Optional.empty();
    }

    /** "535.161.08" from /proc/driver/nvidia/version's NVRM line. */
    static Optional<String> driverVersion(String content) {
        Matcher matcher = DRIVER_VERSION.matcher(content);
        return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    /** The installed nvidia-fabricmanager package's version from dpkg's status database, if any. */
    static Optional<String> packagedVersion(CheckContext context) throws IOException {
        Optional<String> status = context.readIfPresent(context.fs().root("/var/lib/dpkg/status"));
        if (status.isEmpty()) {
            return Optional.empty();
        }
        for (String stanza : status.get().split("\n\n")) {
            if (stanza.startsWith("Package: nvidia-fabricmanager") && stanza.contains("Status: install ok installed")) {
                for (String line : stanza.split("\n")) {
                    if (line.startsWith("Version: ")) {
                        return Optional.of(line.substring("Version: ".length()).strip());
                    }
                }
            }
        }
        return Optional.empty();
    }
}
