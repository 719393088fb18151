package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The PCI functions of /sys/bus/pci/devices that matter to NCCL (GPUs, and any function asked for
 * by address), with where each sits in the PCIe tree. Each entry there links to its place under
 * /sys/devices: pci&lt;domain:bus&gt;/&lt;root port&gt;/&lt;switch ports…&gt;/&lt;function&gt;.
 *
 * <p>Immutable, so one scan serves every check of a run: a function resolved later (a NIC's) makes
 * a new topology that knows it ({@link #with}).
 */
public final class PciTopology {
    public static final int VENDOR_NVIDIA = 0x10de;
    /** Base class 03 (display), subclasses 00 (VGA) and 02 (3D controller: data-centre GPUs). */
    static final int CLASS_VGA = 0x0300;
    static final int CLASS_3D = 0x0302;
    /** Subclass 0x0680 "other bridge": the NVSwitch functions of HGX A100/H100 baseboards. */
    public static final int CLASS_OTHER_BRIDGE = 0x0680;

    private static final Pattern BDF = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
    private static final Pattern ROOT_COMPLEX = Pattern.compile("pci[0-9a-f]{4}:[0-9a-f]{2}");

    /** A PCI function and its ancestry: the root complex, then the ports from the root port down to itself. */
    public record Function(String bdf, String rootComplex, List<String> chain, int vendor, int device, int pciClass,
            int numaNode) {
        public boolean isNvSwitch() {
            return vendor == VENDOR_NVIDIA && (pciClass >> 8) == CLASS_OTHER_BRIDGE;
        }

        public boolean isGpu() {
            int subclass = pciClass >> 8;
            return vendor == VENDOR_NVIDIA && (subclass == CLASS_3D || subclass == CLASS_VGA);
        }

        /** The bridges above the function, root port first. */
        public List<String> bridges() {
            return chain.subList(0, chain.size() - 1);
        }

        /**
         * The PCI nodes NCCL sees above the function: it climbs the sysfs path two levels at a time
         * (a switch's downstream and upstream port become one node) until it reaches the root complex.
         */
        List<String> ncclAncestors() {
            List<String> nodes = new ArrayList<>();
            for (int i = chain.size() - 3; i >= 0; i -= 2) {
                nodes.add(chain.get(i));
            }
            return nodes;
        }
    }

    private final HostFs fs;
    private final Map<String, Function> functions;

    private PciTopology(HostFs fs, Map<String, Function> functions) {
        this.fs = fs;
        this.functions = Collections.unmodifiableMap(functions);
    }

    /** Scans the bus for GPUs and NVSwitches; other functions are read on demand with {@link #function}. */
    public static PciTopology read(HostReader reader) throws IOException, MalformedInputException {
        Path devices = reader.fs().sys("bus/pci/devices");
        List<String> names = reader.list(devices);
        Map<String, Function> functions = new LinkedHashMap<>();
        for (String bdf : names) {
            // The vendor of every function is read to find the GPUs; only NVIDIA's are kept as
            // evidence, so a node with hundreds of functions does not flood the report.
            Path vendorFile = devices.resolve(bdf).resolve("vendor");
            String vendor;
            try {
                vendor = HostFs.readText(vendorFile);
            } catch (IOException e) {
                continue;
            }
            if (SysfsValues.hex(vendorFile.toString(), vendor) == VENDOR_NVIDIA) {
                Function function = load(reader, bdf);
                if (function.isGpu() || function.isNvSwitch()) {
                    functions.put(bdf, function);
                }
            }
        }
        return new PciTopology(reader.fs(), functions);
    }

    /** This topology, also knowing {@code resolved} (functions read by address since the scan). */
    public PciTopology with(Collection<Function> resolved) {
        Map<String, Function> known = new LinkedHashMap<>(functions);
        for (Function function : resolved) {
            known.putIfAbsent(function.bdf(), function);
        }
        return new PciTopology(fs, known);
    }

    public List<Function> gpus() {
        List<Function> gpus = new ArrayList<>();
        for (Function function : functions.values()) {
            if (function.isGpu()) {
                gpus.add(function);
            }
        }
        return gpus;
    }

    /** The NVSwitch functions HGX A100/H100 baseboards show on the bus. */
    public List<Function> nvSwitches() {
        List<Function> switches = new ArrayList<>();
        for (Function function : functions.values()) {
            if (function.isNvSwitch()) {
                switches.add(function);
            }
        }
        return switches;
    }

    /**
     * A function by address: a known one as it is, any other read through {@code reader} (and its
     * reads recorded there); empty when the bus has no such function.
     */
    public Optional<Function> function(HostReader reader, String bdf) throws IOException, MalformedInputException {
        Function known = functions.get(bdf);
        if (known != null) {
            return Optional.of(known);
        }
        if (!Files.isDirectory(fs.sys("bus/pci/devices/" + bdf))) {
            return Optional.empty();
        }
        return Optional.of(load(reader, bdf));
    }

    /** A sysfs attribute of a function (current_link_speed, numa_node, …); empty when absent. */
    public Optional<String> attribute(HostReader reader, String bdf, String name) throws IOException {
        return reader.readIfPresent(fs.sys("bus/pci/devices/" + bdf + "/" + name));
    }

    private static Function load(HostReader reader, String bdf) throws IOException, MalformedInputException {
        Path dir = reader.fs().sys("bus/pci/devices/" + bdf);
        Path vendorPath = dir.resolve("vendor");
        Path devicePath = dir.resolve("device");
        Path classPath = dir.resolve("class");
        int vendor = (int) SysfsValues.hex(vendorPath.toString(), reader.read(vendorPath));
        int device = (int) SysfsValues.hex(devicePath.toString(), reader.read(devicePath));
        int pciClass = (int) SysfsValues.hex(classPath.toString(), reader.read(classPath));
        Path numaPath = dir.resolve("numa_node");
        Optional<String> numa = reader.readIfPresent(numaPath);
        int numaNode = numa.isPresent() ? (int) SysfsValues.decimal(numaPath.toString(), numa.get()) : -1;
        Optional<String> target = reader.link(dir);
        String rootComplex = "";
        List<String> chain = new ArrayList<>();
        if (target.isPresent()) {
            for (String component : target.get().split("/")) {
                if (ROOT_COMPLEX.matcher(component).matches()) {
                    rootComplex = component;
                    chain.clear();
                } else if (BDF.matcher(component).matches()) {
                    chain.add(component);
                }
            }
        }
        if (chain.isEmpty() || !chain.get(chain.size() - 1).equals(bdf)) {
            // Not a link into /sys/devices (a flattened copy of the tree): position unknown.
            chain = List.of(bdf);
        }
        return new Function(bdf, rootComplex, List.copyOf(chain), vendor, device, pciClass, numaNode);
    }

    /**
     * NCCL's path type between two functions: PIX through one PCIe switch, PXB through several,
     * PHB through the CPU's host bridge on one NUMA node, SYS across NUMA nodes.
     */
    public static PathType distance(Function a, Function b) {
        boolean sameNuma = a.numaNode() < 0 || b.numaNode() < 0 || a.numaNode() == b.numaNode();
        if (a.rootComplex().isEmpty() || !a.rootComplex().equals(b.rootComplex())) {
            return sameNuma ? PathType.PHB : PathType.SYS;
        }
        List<String> up = a.ncclAncestors();
        List<String> other = b.ncclAncestors();
        for (int i = 0; i < up.size(); i++) {
            int j = other.indexOf(up.get(i));
            if (j >= 0) {
                return i + j == 0 ? PathType.PIX : PathType.PXB;
            }
        }
        return sameNuma ? PathType.PHB : PathType.SYS;
    }
}
