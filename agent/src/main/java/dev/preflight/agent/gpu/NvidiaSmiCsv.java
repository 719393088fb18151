package dev.preflight.agent.gpu;

import dev.preflight.agent.hostfs.MalformedInputException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The GPU roster nvidia-smi prints for --query-gpu=index,pci.bus_id,uuid,name --format=csv,noheader,nounits. */
public final class NvidiaSmiCsv {
    /** One GPU: its index, sysfs-spelled bus id, UUID and product name. */
    public record Row(int index, String busId, String uuid, String name) {}

    private NvidiaSmiCsv() {}

    /**
     * Every line must hold the four fields; indexes and bus ids must be unique. A product name
     * holds no comma (nvidia-smi would quote it otherwise), so a line splits on ", " into exactly four.
     */
    public static List<Row> parseRoster(String source, String output) throws MalformedInputException {
        List<Row> rows = new ArrayList<>();
        Set<Integer> indexes = new HashSet<>();
        Set<String> busIds = new HashSet<>();
        String[] lines = output.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + " line " + (i + 1);
            String[] fields = line.split(",", -1);
            if (fields.length != 4) {
                throw new MalformedInputException(where, line, "4 comma-separated fields (index, pci.bus_id, uuid, name)");
            }
            int index;
            try {
                index = Integer.parseInt(fields[0].strip());
            } catch (NumberFormatException e) {
                throw new MalformedInputException(where, line, "a GPU index in the first field");
            }
            String busId = PciBusIds.parse(fields[1]).orElseThrow(
                    () -> new MalformedInputException(where, line, "a PCI bus id such as 00000000:19:00.0 in the second field"));
            String uuid = fields[2].strip();
            if (!uuid.startsWith("GPU-")) {
                throw new MalformedInputException(where, line, "a GPU UUID (GPU-...) in the third field");
            }
            String name = fields[3].strip();
            if (name.isEmpty() || !indexes.add(index) || !busIds.add(busId)) {
                throw new MalformedInputException(where, line, "a named GPU with an index and bus id of its own");
            }
            rows.add(new Row(index, busId, uuid, name));
        }
        if (rows.isEmpty()) {
            throw new MalformedInputException(source, output, "one line per GPU");
        }
        return rows;
    }
}
