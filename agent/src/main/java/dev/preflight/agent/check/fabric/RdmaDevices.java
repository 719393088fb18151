package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.check.host.HostViews;
import dev.preflight.agent.check.host.PciTopology;
import dev.preflight.agent.hostfs.IbRate;
import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.hostfs.SysfsValues;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Reads the RDMA devices of /sys/class/infiniband through the check's context (every read is evidence). */
public final class RdmaDevices {
    private RdmaDevices() {}

    public static Path root(CheckContext context) {
        return context.fs().sys("class/infiniband");
    }

    /** Every device and port; the PCI position is resolved when a topology is given. */
    public static List<RdmaDevice> read(CheckContext context, Optional<PciTopology> topology)
            throws IOException, MalformedInputException {
        List<RdmaDevice> devices = new ArrayList<>();
        Path root = root(context);
        for (String name : HostViews.list(context, root)) {
            Path dir = root.resolve(name);
            String hcaType = context.readIfPresent(dir.resolve("hca_type")).map(SysfsValues::value).orElse("");
            String firmware = context.readIfPresent(dir.resolve("fw_ver")).map(SysfsValues::value).orElse("");
            Optional<String> bdf = HostViews.link(context, dir.resolve("device"))
                    .map(target -> Path.of(target).getFileName().toString());
            Optional<PciTopology.Function> function = Optional.empty();
            if (bdf.isPresent() && topology.isPresent()) {
                function = topology.get().function(context, bdf.get());
            }
            List<String> netdevs = HostViews.list(context, dir.resolve("device/net"));
            List<RdmaPort> ports = new ArrayList<>();
            List<String> unreadable = new ArrayList<>();
            for (String port : HostViews.list(context, dir.resolve("ports"))) {
                try {
                    ports.add(readPort(context, name, dir.resolve("ports").resolve(port), port));
                } catch (IOException e) {
                    unreadable.add(name + "/" + port + " (" + IoErrors.describe(e) + ")");
                } catch (MalformedInputException e) {
                    unreadable.add(name + "/" + port + " (" + e.getMessage() + ")");
                }
            }
            devices.add(new RdmaDevice(name, hcaType, firmware, bdf, function, netdevs, List.copyOf(ports),
                    List.copyOf(unreadable)));
        }
        return devices;
    }

    static RdmaPort readPort(CheckContext context, String device, Path dir, String number)
            throws IOException, MalformedInputException {
        int portNumber;
        try {
            portNumber = Integer.parseInt(number);
        } catch (NumberFormatException e) {
            throw new MalformedInputException(dir.toString(), number, "numbered port directories");
        }
        Path statePath = dir.resolve("state");
        Path physPath = dir.resolve("phys_state");
        Path ratePath = dir.resolve("rate");
        Path layerPath = dir.resolve("link_layer");
        SysfsValues.NumberedState state = SysfsValues.numberedState(statePath.toString(), context.read(statePath));
        SysfsValues.NumberedState phys = SysfsValues.numberedState(physPath.toString(), context.read(physPath));
        IbRate rate = IbRate.parse(ratePath.toString(), context.read(ratePath));
        String linkLayer = SysfsValues.value(context.read(layerPath));
        if (!linkLayer.equals("InfiniBand") && !linkLayer.equals("Ethernet")) {
            throw new MalformedInputException(layerPath, linkLayer, "'InfiniBand' or 'Ethernet'");
        }
        OptionalLong lid = OptionalLong.empty();
        OptionalLong smLid = OptionalLong.empty();
        if (linkLayer.equals("InfiniBand")) {
            lid = hexIfPresent(context, dir.resolve("lid"));
            smLid = hexIfPresent(context, dir.resolve("sm_lid"));
        }
        return new RdmaPort(device, portNumber, state, phys, rate, linkLayer, lid, smLid);
    }

    private static OptionalLong hexIfPresent(CheckContext context, Path path) throws IOException, MalformedInputException {
        Optional<String> content = context.readIfPresent(path);
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
}
