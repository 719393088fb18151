package dev.preflight.agent.gpu;

import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.proto.v1.Gpu;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * GPU facts through nvidia-smi, for nodes where NVML cannot be loaded into the JVM (no CUDA 12
 * runtime, a container with only the utility capability, an arm64 host). Two calls: the roster
 * ({@code --query-gpu=index,pci.bus_id,uuid,name --format=csv,noheader,nounits}), which is the
 * only place nvidia-smi states each GPU's index, and the details ({@code -q -x}). Both are
 * parsed strictly and must agree: a truncated or inconsistent answer is a failure naming what is
 * wrong, never a partial inventory.
 */
public final class NvidiaSmiInventory implements GpuInventory {
    public static final String SOURCE = "nvidia-smi";
    static final String ROSTER_QUERY = "--query-gpu=index,pci.bus_id,uuid,name";
    static final String CSV_FORMAT = "--format=csv,noheader,nounits";
    /** Eight GPUs' -q -x with supported clocks is about 100 KB; far more means something else is talking. */
    static final int MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

    private final String command;
    private final Duration timeout;

    public NvidiaSmiInventory(String command, Duration timeout) {
        this.command = command;
        this.timeout = timeout;
    }

    @Override
    public String source() {
        return SOURCE;
    }

    @Override
    public dev.preflight.proto.v1.GpuInventory read() throws GpuSourceException {
        String rosterCommand = command + " " + ROSTER_QUERY + " " + CSV_FORMAT;
        String detailCommand = command + " -q -x";
        try {
            List<NvidiaSmiCsv.Row> roster = NvidiaSmiCsv.parseRoster(rosterCommand, run(ROSTER_QUERY, CSV_FORMAT));
            NvidiaSmiXml.Log log = NvidiaSmiXml.parse(detailCommand, run("-q", "-x"));
            return merge(rosterCommand, detailCommand, roster, log);
        } catch (MalformedInputException e) {
            throw GpuSourceException.failed("nvidia-smi output did not parse: " + e.getMessage(), e);
        }
    }

    /** The details, indexed by the roster; both must name the same GPUs. */
    static dev.preflight.proto.v1.GpuInventory merge(String rosterCommand, String detailCommand,
            List<NvidiaSmiCsv.Row> roster, NvidiaSmiXml.Log log) throws MalformedInputException {
        Map<String, Gpu> byBusId = log.gpus();
        if (roster.size() != byBusId.size()) {
            throw new MalformedInputException(detailCommand, byBusId.size() + " <gpu> elements",
                    "the " + roster.size() + " GPUs that " + rosterCommand + " listed");
        }
        dev.preflight.proto.v1.GpuInventory.Builder inventory = dev.preflight.proto.v1.GpuInventory.newBuilder()
                .setDriverVersion(log.driverVersion())
                .setCudaDriverVersion(log.cudaVersion());
        List<Gpu> gpus = new ArrayList<>();
        for (NvidiaSmiCsv.Row row : roster) {
            Gpu details = byBusId.get(row.busId());
            if (details == null) {
                throw new MalformedInputException(detailCommand, "no <gpu id=\"" + row.busId() + "\">",
                        "a <gpu> element for every GPU that " + rosterCommand + " listed");
            }
            gpus.add(details.toBuilder().setIndex(row.index()).setUuid(row.uuid()).setName(row.name()).build());
        }
        return inventory.addAllGpus(gpus)
                .addUnavailable("NVLink state and P2P status: not read through nvidia-smi")
                .build();
    }

    private String run(String... arguments) throws GpuSourceException {
        List<String> argv = new ArrayList<>();
        argv.add(command);
        argv.addAll(List.of(arguments));
        String shown = String.join(" ", argv);
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw GpuSourceException.unavailable("nvidia-smi unavailable: cannot run '" + command + "' ("
                    + (e.getMessage() != null && e.getMessage().contains("error=2") ? "not found" : e.getMessage())
                    + "); give its path with --nvidia-smi");
        }
        try {
            process.getOutputStream().close();
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copyBounded(process.getInputStream(), output), "preflight-nvidia-smi-output");
            reader.setDaemon(true);
            reader.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw GpuSourceException.failed("'" + shown + "' did not finish within " + timeout.toSeconds()
                        + " s (a hung driver?)", null);
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
            String text;
            synchronized (output) {
                if (output.size() > MAX_OUTPUT_BYTES) {
                    throw GpuSourceException.failed("'" + shown + "' wrote more than " + MAX_OUTPUT_BYTES + " bytes", null);
                }
                text = output.toString(StandardCharsets.UTF_8);
            }
            if (process.exitValue() != 0) {
                // "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver": no driver here
                throw GpuSourceException.unavailable("nvidia-smi unavailable: '" + shown + "' exited with "
                        + process.exitValue() + ": " + firstLine(text));
            }
            return text;
        } catch (IOException e) {
            throw GpuSourceException.failed("'" + shown + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw GpuSourceException.failed("'" + shown + "' interrupted", e);
        }
    }

    private static void copyBounded(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[65536];
        try (in) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                synchronized (out) {
                    if (out.size() <= MAX_OUTPUT_BYTES) {
                        out.write(buffer, 0, read);
                    }
                }
            }
        } catch (IOException e) {
            // the process was killed on its deadline; what was read so far stays
        }
    }

    private static String firstLine(String text) {
        String stripped = text.strip();
        if (stripped.isEmpty()) {
            return "(no output)";
        }
        String line = stripped.split("\n", 2)[0].strip();
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
