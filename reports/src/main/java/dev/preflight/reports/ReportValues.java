package dev.preflight.reports;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import dev.preflight.proto.units.Numbers;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The numbers in a report handed over from elsewhere, checked before anything judges or renders
 * them: a report is JSON anyone can edit, and JSON carries "NaN", "Infinity" and negative
 * bandwidths as readily as real ones. An Infinity bandwidth would be judged optimal, a negative
 * one judged as measured, a NaN latency would break the charts.
 */
final class ReportValues {
    /**
     * Larger than any bandwidth in bytes per second (1e15 is a petabyte a second) or any time in
     * microseconds (1e18 µs is 30,000 years) a run produces; beyond it a value is damage, not data.
     */
    static final double MAX_MAGNITUDE = 1e18;
    /** The few report numbers that are signed by nature: a clock offset, a measurement's value. */
    private static final Set<String> SIGNED = Set.of(
            "preflight.v1.NodeReport.clock_offset_millis",
            "preflight.v1.Measurement.value");

    private ReportValues() {}

    /** @throws Numbers.NumberException naming the field's path, the value and the range */
    static void check(MessageOrBuilder message) {
        check(message, "");
    }

    private static void check(MessageOrBuilder message, String path) {
        for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
            FieldDescriptor field = entry.getKey();
            String name = path.isEmpty() ? field.getJsonName() : path + "." + field.getJsonName();
            if (field.isRepeated()) {
                List<?> values = (List<?>) entry.getValue();
                for (int i = 0; i < values.size(); i++) {
                    checkValue(field, values.get(i), name + "[" + i + "]");
                }
            } else {
                checkValue(field, entry.getValue(), name);
            }
        }
    }

    private static void checkValue(FieldDescriptor field, Object value, String name) {
        switch (field.getJavaType()) {
            case MESSAGE:
                if (!(value instanceof MessageOrBuilder)) {
                    // a map field's entries arrive as messages too; anything else holds no numbers
                    return;
                }
                check((MessageOrBuilder) value, name);
                break;
            case DOUBLE:
            case FLOAT:
                double number = ((Number) value).doubleValue();
                double min = SIGNED.contains(field.getFullName()) ? -MAX_MAGNITUDE : 0;
                Numbers.finite(number, name, min, MAX_MAGNITUDE);
                break;
            default:
                break;
        }
    }
}
