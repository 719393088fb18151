package dev.preflight.reports;

/** A report file that cannot be read as a preflight report; the message names the file and the problem. */
public final class ReportFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public ReportFormatException(String message) {
        super(message);
    }
}
