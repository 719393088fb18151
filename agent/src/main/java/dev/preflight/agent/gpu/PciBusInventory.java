package dev.preflight.agent.gpu;

import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuPcie;
import dev.preflight.proto.v1.PciGpu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * NVIDIA GPUs as the PCI bus shows them in sysfs, with or without a working driver: vendor
 * 0x10de, class display/VGA (0x0300) or display/3D (0x0302). The last resort of the inventory,
 * and the reference gpu.present compares the driver's view with.
 */
public final class PciBusInventory implements GpuInventory {
    public static final String SOURCE = "pci";
    static final int NVIDIA_VENDOR = 0x10de;
    static final int CLASS_VGA = 0x0300;
    static final int CLASS_3D = 0x0302;

    private final HostFs fs;

    public PciBusInventory(HostFs fs) {
        this.fs = fs;
    }

    @Override
    public String source() {
        return SOURCE;
    }

    /** The bus's GPUs as inventory entries: index -1, name from the parts table, link from sysfs. */
    @Override
    public dev.preflight.proto.v1.GpuInventory read() throws GpuSourceException {
        List<PciGpu> devices = devices();
        if (devices.isEmpty()) {
            throw GpuSourceException.unavailable("no NVIDIA display or 3D controller on the PCI bus ("
                    + fs.sys("bus/pci/devices") + ")");
        }
        dev.preflight.proto.v1.GpuInventory.Builder inventory = dev.preflight.proto.v1.GpuInventory.newBuilder();
        for (PciGpu device : devices) {
            Gpu.Builder gpu = Gpu.newBuilder()
                    .setIndex(-1)
                    .setPciBusId(device.getBusId())
                    .setPciDeviceId(device.getDeviceId())
                    .setName(device.getName().isEmpty()
                            ? String.format(Locale.ROOT, "NVIDIA device %04x", device.getDeviceId())
                            : device.getName());
            GpuPcie.Builder pcie = GpuPcie.newBuilder();
            generation(device.getCurrentLinkSpeed()).ifPresent(pcie::setCurrentGeneration);
            generation(device.getMaxLinkSpeed()).ifPresent(pcie::setDeviceMaxGeneration);
            if (device.hasCurrentLinkWidth()) {
                pcie.setCurrentWidth(device.getCurrentLinkWidth());
            }
            if (device.hasMaxLinkWidth()) {
                pcie.setMaxWidth(device.getMaxLinkWidth());
            }
            inventory.addGpus(gpu.setPcie(pcie));
        }
        return inventory.addUnavailable("driver facts (ECC, NVLink, MIG, fabric, processes): only the PCI bus could be read")
                .build();
    }

    /**
     * Every NVIDIA display/3D controller under /sys/bus/pci/devices, in address order; empty when
     * the directory is absent (no PCI bus visible, e.g. a container without /sys).
     */
    public List<PciGpu> devices() throws GpuSourceException {
        Path root = fs.sys("bus/pci/devices");
        List<Path> entries = new ArrayList<>();
        try (Stream<Path> list = Files.list(root)) {
            list.sorted().forEach(entries::add);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw GpuSourceException.failed("cannot list " + root + ": " + e.getMessage(), e);
        }
        List<PciGpu> gpus = new ArrayList<>();
        for (Path device : entries) {
            try {
                int vendor = hex(device.resolve("vendor"));
                int pciClass = hex(device.resolve("class"));
                if (vendor != NVIDIA_VENDOR || (pciClass >> 8 != CLASS_VGA && pciClass >> 8 != CLASS_3D)) {
                    continue;
                }
                int deviceId = hex(device.resolve("device"));
                PciGpu.Builder gpu = PciGpu.newBuilder()
                        .setBusId(PciBusIds.normalize(device.getFileName().toString()))
                        .setDeviceId(deviceId)
                        .setClassCode(pciClass)
                        .setName(GpuParts.byDeviceId(deviceId).map(GpuParts.Part::name).orElse(""))
                        .setDriver(driver(device));
                text(device.resolve("current_link_speed")).ifPresent(gpu::setCurrentLinkSpeed);
                text(device.resolve("max_link_speed")).ifPresent(gpu::setMaxLinkSpeed);
                width(device.resolve("current_link_width")).ifPresent(gpu::setCurrentLinkWidth);
                width(device.resolve("max_link_width")).ifPresent(gpu::setMaxLinkWidth);
                gpus.add(gpu.build());
            } catch (NoSuchFileException e) {
                // a device without vendor/class files is no PCI function (or vanished meanwhile)
            } catch (IOException e) {
                throw GpuSourceException.failed("cannot read " + device + ": " + e.getMessage(), e);
            }
        }
        return gpus;
    }

    private static String driver(Path device) {
        try {
            return Files.readSymbolicLink(device.resolve("driver")).getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    private static int hex(Path file) throws IOException {
        String value = HostFs.readText(file).strip();
        String digits = value.startsWith("0x") ? value.substring(2) : value;
        try {
            return Integer.parseInt(digits, 16);
        } catch (NumberFormatException e) {
            throw new IOException("expected a hexadecimal id such as 0x10de, got '" + value + "'");
        }
    }

    private static Optional<String> text(Path file) throws IOException {
        try {
            return Optional.of(HostFs.readText(file).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** sysfs width; "0" or a non-number (some kernels print "Unknown") means not known. */
    private static Optional<Integer> width(Path file) throws IOException {
        Optional<String> value = text(file);
        if (value.isEmpty() || !value.get().matches("\\d{1,2}") || value.get().equals("0")) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(value.get()));
    }

    /** The PCIe generation of a sysfs link speed ("32.0 GT/s PCIe" is Gen5). */
    static Optional<Integer> generation(String speed) {
        if (speed.isEmpty()) {
            return Optional.empty();
        }
        String rate = speed.split(" ", 2)[0];
        switch (rate) {
            case "2.5":
                return Optional.of(1);
            case "5.0":
            case "5":
                return Optional.of(2);
            case "8.0":
            case "8":
                return Optional.of(3);
            case "16.0":
                return Optional.of(4);
            case "32.0":
                return Optional.of(5);
            case "64.0":
                return Optional.of(6);
            default:
                return Optional.empty();
        }
    }
}
