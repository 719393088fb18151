package dev.preflight.coordinator.cli;

import dev.preflight.reports.ReportFormat;
import java.util.Set;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** --format json,junit,md,html. */
public final class FormatsConverter implements ITypeConverter<Set<ReportFormat>> {
    @Override
    public Set<ReportFormat> convert(String value) {
        try {
            return ReportFormat.parseList(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
