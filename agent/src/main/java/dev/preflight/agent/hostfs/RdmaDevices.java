package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The RDMA devices of /sys/class/infiniband and their ports: the one walk of that tree, devices and
 * ports in natural order (mlx5_2 before mlx5_10), as ibv_get_device_list and NCCL number them.
 */
public final class RdmaDevices {
    /** mlx5_2 before mlx5_10: runs of digits compare as numbers. */
    public static final Comparator<String> NATURAL_ORDER = RdmaDevices::naturalCompare;

    /**
     * A port's state and link layer alone, for a reader that needs nothing else: a port lacking
     * its rate or physical state still counts by its state.
     */
    public record PortState(String device, int number, SysfsValues.NumberedState state, Optional<String> linkLayer) {
        public boolean active() {
            return state.code() == RdmaPort.STATE_ACTIVE;
        }
    }

    private RdmaDevices() {}

    public static Path root(HostFs fs) {
        return fs.sys("class/infiniband");
    }

    /** The device names, in natural order; empty when the node has no RDMA device. */
    public static List<String> names(HostReader reader) throws IOException {
        return naturally(reader.list(root(reader.fs())));
    }

    /** A device's port directory names, in natural order. */
    public static List<String> portNames(HostReader reader, String device) throws IOException {
        return naturally(reader.list(root(reader.fs()).resolve(device).resolve("ports")));
    }

    /**
     * Every device and port; the PCI position is resolved when a topology is given. A port whose
     * files cannot be read or parsed is left out of its device's ports and named in its
     * unreadable ports, so it costs the port check alone, not every check of the device.
     */
    public static List<RdmaDevice> read(HostReader reader, Optional<PciTopology> topology)
            throws IOException, MalformedInputException {
        List<RdmaDevice> devices = new ArrayList<>();
        Path root = root(reader.fs());
        // A function is read once per walk even when several devices share it.
        Map<String, PciTopology.Function> resolved = new LinkedHashMap<>();
        for (String name : names(reader)) {
            Path dir = root.resolve(name);
            String hcaType = reader.readIfPresent(dir.resolve("hca_type")).map(SysfsValues::value).orElse("");
            String firmware = reader.readIfPresent(dir.resolve("fw_ver")).map(SysfsValues::value).orElse("");
            Optional<String> bdf = reader.link(dir.resolve("device"))
                    .map(target -> Path.of(target).getFileName().toString());
            Optional<PciTopology.Function> function = Optional.empty();
            if (bdf.isPresent() && topology.isPresent()) {
                function = Optional.ofNullable(resolved.get(bdf.get()));
                if (function.isEmpty()) {
                    function = topology.get().function(reader, bdf.get());
                    function.ifPresent(found -> resolved.put(found.bdf(), found));
                }
            }
            List<String> netdevs = reader.list(dir.resolve("device/net"));
            List<RdmaPort> ports = new ArrayList<>();
            List<String> unreadable = new ArrayList<>();
            for (String port : portNames(reader, name)) {
                try {
                    ports.add(readPort(reader, name, dir.resolve("ports").resolve(port), port));
                } catch (IOException e) {
                    unreadable.add(name + "/" + port + " (" + IoErrors.describe(e) + ")");
                } catch (MalformedInputException e) {
                    unreadable.add(name + "/" + port + " (" + e.getMessage() + ")");
                }
            }
            devices.add(new RdmaDevice(name, hcaType, firmware, bdf, function, netdevs, List.copyOf(ports),
                    List.copyOf(unreadable)));
        }
        return List.copyOf(devices);
    }

    /**
     * Every port's state, devices and ports in natural order. A port without a readable, well-formed
     * state is left out (its state is unknown, so it is not shown active); an absent link layer is
     * left empty.
     */
    public static List<PortState> states(HostReader reader) throws IOException {
        List<PortState> states = new ArrayList<>();
        Path root = root(reader.fs());
        for (String device : names(reader)) {
            for (String port : portNames(reader, device)) {
                Path dir = root.resolve(device).resolve("ports").resolve(port);
                try {
                    int number = portNumber(dir, port);
                    Path statePath = dir.resolve("state");
                    SysfsValues.NumberedState state = SysfsValues.numberedState(statePath.toString(), reader.read(statePath));
                    Optional<String> linkLayer = reader.readIfPresent(dir.resolve("link_layer")).map(SysfsValues::value);
                    states.add(new PortState(device, number, state, linkLayer));
                } catch (MalformedInputException | NoSuchFileException e) {
                    // Not a port whose state can be told; see the method's comment.
                }
            }
        }
        return states;
    }

    static RdmaPort readPort(HostReader reader, String device, Path dir, String number)
            throws IOException, MalformedInputException {
        int portNumber = portNumber(dir, number);
        Path statePath = dir.resolve("state");
        Path physPath = dir.resolve("phys_state");
        Path ratePath = dir.resolve("rate");
        Path layerPath = dir.resolve("link_layer");
        SysfsValues.NumberedState state = SysfsValues.numberedState(statePath.toString(), reader.read(statePath));
        SysfsValues.NumberedState phys = SysfsValues.numberedState(physPath.toString(), reader.read(physPath));
        IbRate rate = IbRate.parse(ratePath.toString(), reader.read(ratePath));
        String linkLayer = SysfsValues.value(reader.read(layerPath));
        if (!linkLayer.equals("InfiniBand") && !linkLayer.equals("Ethernet")) {
            throw new MalformedInputException(layerPath, linkLayer, "'InfiniBand' or 'Ethernet'");
        }
        OptionalLong lid = OptionalLong.empty();
        OptionalLong smLid = OptionalLong.empty();
        if (linkLayer.equals("InfiniBand")) {
            lid = hexIfPresent(reader, dir.resolve("lid"));
            smLid = hexIfPresent(reader, dir.resolve("sm_lid"));
        }
        return new RdmaPort(device, portNumber, state, phys, rate, linkLayer, lid, smLid);
    }

    /** A port directory's number; the kernel names them 1, 2, … */
    static int portNumber(Path dir, String name) throws MalformedInputException {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            throw new MalformedInputException(dir.toString(), name, "numbered port directories");
        }
    }

    private static OptionalLong hexIfPresent(HostReader reader, Path path) throws IOException, MalformedInputException {
        Optional<String> content = reader.readIfPresent(path);
        return content.isPresent() ? OptionalLong.of(SysfsValues.hex(path.toString(), content.get())) : OptionalLong.empty();
    }

    /** Every port of every device, in order. */
    public static List<RdmaPort> ports(List<RdmaDevice> devices) {
        List<RdmaPort> ports = new ArrayList<>();
        for (RdmaDevice device : devices) {
            ports.addAll(device.ports());
        }
        return ports;
    }

    private static List<String> naturally(List<String> names) {
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(NATURAL_ORDER);
        return sorted;
    }

    private static int naturalCompare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int ei = i;
                int ej = j;
                while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
                    ei++;
                }
                while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
                    ej++;
                }
                // Capped at 18 digits so the value fits a long; longer runs compare on their prefix.
                int cmp = Long.compare(Long.parseLong(a.substring(i, Math.min(ei, i + 18))),
                        Long.parseLong(b.substring(j, Math.min(ej, j + 18))));
                if (cmp != 0) {
                    return cmp;
                }
                i = ei;
                j = ej;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
