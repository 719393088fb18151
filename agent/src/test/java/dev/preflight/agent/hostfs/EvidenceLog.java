package dev.preflight.agent.hostfs;

import java.util.ArrayList;
import java.util.List;

/** A reader that keeps the evidence it is given, as "source = value" lines, to compare what two readers saw. */
final class EvidenceLog implements HostReader {
    private final HostFs fs;
    final List<String> lines = new ArrayList<>();

    EvidenceLog(HostFs fs) {
        this.fs = fs;
    }

    @Override
    public HostFs fs() {
        return fs;
    }

    @Override
    public void evidence(String source, String value) {
        lines.add(source + " = " + value);
    }
}
