package dev.preflight.agent.gpu;

import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuEcc;
import dev.preflight.proto.v1.GpuFabric;
import dev.preflight.proto.v1.GpuPcie;
import dev.preflight.proto.v1.GpuProcess;
import dev.preflight.proto.v1.GpuRowRemap;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * nvidia-smi -q -x, DTD versions 11 and 12 (drivers 510 to 535 and later). Strict: the document
 * must be well formed and hold as many {@code <gpu>} elements as {@code <attached_gpus>} says; a
 * value is a number with its unit, a known word, or one of nvidia-smi's "not available" spellings
 * (which leave the fact unset). Anything else names the element and the value.
 */
public final class NvidiaSmiXml {
    /** What nvidia-smi prints for a value it cannot give. */
    private static final Set<String> NOT_AVAILABLE = Set.of("N/A", "[N/A]", "Not Supported", "[Not Supported]",
            "Unknown Error", "[Unknown Error]", "Requested functionality has been deprecated");
    private static final Pattern QUANTITY = Pattern.compile("(-?\\d+(?:\\.\\d+)?)\\s*(\\S*)");

    /** The parsed log: driver, CUDA version, and each GPU by its sysfs-spelled bus id (document order). */
    public record Log(String driverVersion, String cudaVersion, Map<String, Gpu> gpus) {}

    private NvidiaSmiXml() {}

    public static Log parse(String source, String xml) throws MalformedInputException {
        Element root = document(source, xml).getDocumentElement();
        if (!root.getTagName().equals("nvidia_smi_log")) {
            throw new MalformedInputException(source, "<" + root.getTagName() + ">", "an <nvidia_smi_log> document");
        }
        String attached = text(root, "attached_gpus").orElseThrow(
                () -> new MalformedInputException(source, "no <attached_gpus>", "an <attached_gpus> count"));
        int expected;
        try {
            expected = Integer.parseInt(attached);
        } catch (NumberFormatException e) {
            throw new MalformedInputException(source + " <attached_gpus>", attached, "a GPU count");
        }
        Map<String, Gpu> gpus = new LinkedHashMap<>();
        for (Element element : children(root, "gpu")) {
            String id = element.getAttribute("id");
            String busId = PciBusIds.parse(id).orElseThrow(
                    () -> new MalformedInputException(source + " <gpu id>", id, "a PCI bus id such as 00000000:19:00.0"));
            gpus.put(busId, gpu(source + " <gpu id=\"" + id + "\">", busId, element));
        }
        if (gpus.size() != expected) {
            throw new MalformedInputException(source, gpus.size() + " <gpu> element(s)",
                    "the " + expected + " that <attached_gpus> states (output cut short?)");
        }
        return new Log(text(root, "driver_version").orElse(""), text(root, "cuda_version").orElse(""), gpus);
    }

    private static Document document(String source, String xml) throws MalformedInputException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            // The log names its DTD (nvsmi_device_v12.dtd) by a relative system id: never fetch it,
            // never expand entities.
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setExpandEntityReferences(false);
            factory.setXIncludeAware(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException exception) {}

                @Override
                public void error(SAXParseException exception) throws SAXException {
                    throw exception;
                }

                @Override
                public void fatalError(SAXParseException exception) throws SAXException {
                    throw exception;
                }
            });
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (SAXParseException e) {
            throw new MalformedInputException(source + " (line " + e.getLineNumber() + ": " + e.getMessage() + ")",
                    xml, "well-formed XML");
        } catch (SAXException | IOException e) {
            throw new MalformedInputException(source + " (" + e.getMessage() + ")", xml, "well-formed XML");
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a standard feature", e);
        }
    }

    private static Gpu gpu(String where, String busId, Element element) throws MalformedInputException {
        Gpu.Builder gpu = Gpu.newBuilder().setIndex(-1).setPciBusId(busId);
        text(element, "product_name").ifPresent(gpu::setName);
        text(element, "uuid").ifPresent(gpu::setUuid);
        Optional<String> deviceId = text(element, "pci", "pci_device_id");
        if (deviceId.isPresent()) {
            try {
                gpu.setPciDeviceId((int) (Long.parseLong(deviceId.get().replaceFirst("^0x", ""), 16) >>> 16));
            } catch (NumberFormatException e) {
                throw new MalformedInputException(where + " <pci_device_id>", deviceId.get(), "a hex id such as 233010DE");
            }
        }
        Optional<Long> total = quantity(where, element, "MiB", "fb_memory_usage", "total");
        total.ifPresent(mib -> gpu.setMemoryTotalBytes(mib * 1024 * 1024));
        quantity(where, element, "MiB", "fb_memory_usage", "used").ifPresent(mib -> gpu.setMemoryUsedBytes(mib * 1024 * 1024));

        GpuEcc.Builder ecc = GpuEcc.newBuilder();
        flag(where, element, "Enabled", "Disabled", "ecc_mode", "current_ecc").ifPresent(ecc::setEnabled);
        eccSums(where, element, "volatile", ecc::setVolatileCorrected, ecc::setVolatileUncorrected);
        eccSums(where, element, "aggregate", ecc::setAggregateCorrected, ecc::setAggregateUncorrected);
        gpu.setEcc(ecc);

        Optional<Element> remap = child(element, "remapped_rows");
        if (remap.isPresent() && !children(remap.get()).isEmpty()) {
            GpuRowRemap.Builder rows = GpuRowRemap.newBuilder();
            quantity(where, element, "", "remapped_rows", "remapped_row_corr").ifPresent(n -> rows.setCorrectedRows(n.intValue()));
            quantity(where, element, "", "remapped_rows", "remapped_row_unc").ifPresent(n -> rows.setUncorrectedRows(n.intValue()));
            flag(where, element, "Yes", "No", "remapped_rows", "remapped_row_pending").ifPresent(rows::setPending);
            flag(where, element, "Yes", "No", "remapped_rows", "remapped_row_failure").ifPresent(rows::setFailure);
            gpu.setRowRemap(rows);
        }

        GpuPcie.Builder pcie = GpuPcie.newBuilder();
        quantity(where, element, "", "pci", "pci_gpu_link_info", "pcie_gen", "current_link_gen")
                .ifPresent(n -> pcie.setCurrentGeneration(n.intValue()));
        quantity(where, element, "", "pci", "pci_gpu_link_info", "pcie_gen", "max_link_gen")
                .ifPresent(n -> pcie.setMaxGeneration(n.intValue()));
        quantity(where, element, "", "pci", "pci_gpu_link_info", "pcie_gen", "max_device_link_gen")
                .ifPresent(n -> pcie.setDeviceMaxGeneration(n.intValue()));
        quantity(where, element, "x", "pci", "pci_gpu_link_info", "link_widths", "current_link_width")
                .ifPresent(n -> pcie.setCurrentWidth(n.intValue()));
        quantity(where, element, "x", "pci", "pci_gpu_link_info", "link_widths", "max_link_width")
                .ifPresent(n -> pcie.setMaxWidth(n.intValue()));
        quantity(where, element, "", "pci", "replay_counter").ifPresent(pcie::setReplays);
        gpu.setPcie(pcie);

        Optional<String> computeMode = text(element, "compute_mode");
        if (computeMode.isPresent()) {
            String mode = computeMode.get().toUpperCase(Locale.ROOT).replace(' ', '_');
            if (!List.of(NvmlInventory.COMPUTE_MODES).contains(mode)) {
                throw new MalformedInputException(where + " <compute_mode>", computeMode.get(),
                        "Default, Exclusive_Process, Exclusive_Thread or Prohibited");
            }
            gpu.setComputeMode(mode);
        }
        flag(where, element, "Enabled", "Disabled", "mig_mode", "current_mig").ifPresent(gpu::setMigEnabled);
        child(element, "mig_devices").ifPresent(devices -> gpu.setMigDevices(children(devices, "mig_device").size()));
        flag(where, element, "Enabled", "Disabled", "persistence_mode").ifPresent(gpu::setPersistenceMode);

        Optional<String> fabricState = text(element, "fabric", "state");
        if (fabricState.isPresent()) {
            gpu.setFabric(GpuFabric.newBuilder()
                    .setState(fabricState.get().toUpperCase(Locale.ROOT).replace(' ', '_'))
                    .setStatus(text(element, "fabric", "status").orElse("")));
        }

        quantity(where, element, "C", "temperature", "gpu_temp").ifPresent(c -> gpu.setTemperatureC(c.intValue()));
        String power = child(element, "gpu_power_readings").isPresent() ? "gpu_power_readings" : "power_readings";
        decimal(where, element, "W", power, "power_draw").ifPresent(gpu::setPowerDrawWatts);
        Optional<Double> limit = decimal(where, element, "W", power, "current_power_limit")
                .or(() -> optionalDecimal(where, element, "W", power, "enforced_power_limit"));
        limit.ifPresent(gpu::setPowerLimitWatts);

        for (String reasons : List.of("clocks_event_reasons", "clocks_throttle_reasons")) {
            Optional<Element> parent = child(element, reasons);
            if (parent.isEmpty()) {
                continue;
            }
            for (Element reason : children(parent.get())) {
                String value = reason.getTextContent().strip();
                if (value.equals("Active")) {
                    String name = reason.getTagName();
                    int at = name.indexOf("reason_");
                    gpu.addClockEventReasons(at < 0 ? name : name.substring(at + "reason_".length()));
                } else if (!value.equals("Not Active") && !NOT_AVAILABLE.contains(value)) {
                    throw new MalformedInputException(where + " <" + reason.getTagName() + ">", value, "Active or Not Active");
                }
            }
        }

        Optional<Element> processes = child(element, "processes");
        if (processes.isPresent()) {
            gpu.setProcessesKnown(true);
            for (Element process : children(processes.get(), "process_info")) {
                String pid = text(process, "pid").orElse("");
                GpuProcess.Builder entry = GpuProcess.newBuilder();
                try {
                    entry.setPid(Integer.parseInt(pid));
                } catch (NumberFormatException e) {
                    throw new MalformedInputException(where + " <process_info><pid>", pid, "a process id");
                }
                quantity(where, process, "MiB", "used_memory").ifPresent(mib -> entry.setUsedMemoryBytes(mib * 1024 * 1024));
                text(process, "process_name").ifPresent(entry::setName);
                gpu.addProcesses(entry);
            }
        }
        return gpu.build();
    }

    private interface LongSetter {
        void set(long value);
    }

    /** SRAM and DRAM counters summed: corrected ones, and the uncorrectable ones (parity, SEC-DED, DRAM). */
    private static void eccSums(String where, Element gpu, String counter, LongSetter corrected, LongSetter uncorrected)
            throws MalformedInputException {
        Optional<Element> counts = child(gpu, "ecc_errors").flatMap(errors -> child(errors, counter));
        if (counts.isEmpty()) {
            return;
        }
        Long correctedSum = null;
        Long uncorrectedSum = null;
        for (Element count : children(counts.get())) {
            String name = count.getTagName();
            boolean isUncorrected = name.contains("uncorrectable");
            if (!isUncorrected && !name.endsWith("_correctable")) {
                continue;
            }
            Optional<Long> value = quantity(where, counts.get(), "", name);
            if (value.isEmpty()) {
                continue;
            }
            if (isUncorrected) {
                uncorrectedSum = (uncorrectedSum == null ? 0 : uncorrectedSum) + value.get();
            } else {
                correctedSum = (correctedSum == null ? 0 : correctedSum) + value.get();
            }
        }
        if (correctedSum != null) {
            corrected.set(correctedSum);
        }
        if (uncorrectedSum != null) {
            uncorrected.set(uncorrectedSum);
        }
    }

    private static Optional<Boolean> flag(String where, Element element, String yes, String no, String... path)
            throws MalformedInputException {
        Optional<String> value = text(element, path);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.get().equals(yes)) {
            return Optional.of(true);
        }
        if (value.get().equals(no)) {
            return Optional.of(false);
        }
        throw new MalformedInputException(where + " <" + String.join("><", path) + ">", value.get(), yes + " or " + no);
    }

    /** A whole number with the given unit ("81920 MiB", "27 C", "16x", "0"). */
    private static Optional<Long> quantity(String where, Element element, String unit, String... path)
            throws MalformedInputException {
        Optional<String> value = text(element, path);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Matcher matcher = QUANTITY.matcher(value.get());
        if (!matcher.matches() || !matcher.group(2).equals(unit) || matcher.group(1).contains(".")) {
            throw new MalformedInputException(where + " <" + String.join("><", path) + ">", value.get(),
                    "a whole number" + (unit.isEmpty() ? "" : " in " + unit));
        }
        return Optional.of(Long.parseLong(matcher.group(1)));
    }

    /** A decimal number with the given unit ("67.03 W"). */
    private static Optional<Double> decimal(String where, Element element, String unit, String... path)
            throws MalformedInputException {
        Optional<String> value = text(element, path);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Matcher matcher = QUANTITY.matcher(value.get());
        if (!matcher.matches() || !matcher.group(2).equals(unit)) {
            throw new MalformedInputException(where + " <" + String.join("><", path) + ">", value.get(), "a number in " + unit);
        }
        return Optional.of(Double.parseDouble(matcher.group(1)));
    }

    private static Optional<Double> optionalDecimal(String where, Element element, String unit, String... path) {
        try {
            return decimal(where, element, unit, path);
        } catch (MalformedInputException e) {
            return Optional.empty();
        }
    }

    /** The trimmed text at a path of child elements; empty when absent or "N/A". */
    static Optional<String> text(Element element, String... path) {
        Element current = element;
        for (String name : path) {
            Optional<Element> next = child(current, name);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            current = next.get();
        }
        String value = current.getTextContent().strip();
        return value.isEmpty() || NOT_AVAILABLE.contains(value) ? Optional.empty() : Optional.of(value);
    }

    private static Optional<Element> child(Element element, String name) {
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element && ((Element) node).getTagName().equals(name)) {
                return Optional.of((Element) node);
            }
        }
        return Optional.empty();
    }

    private static List<Element> children(Element element, String name) {
        List<Element> result = new ArrayList<>();
        for (Element child : children(element)) {
            if (child.getTagName().equals(name)) {
                result.add(child);
            }
        }
        return result;
    }

    private static List<Element> children(Element element) {
        List<Element> result = new ArrayList<>();
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element) {
                result.add((Element) node);
            }
        }
        return result;
    }
}
