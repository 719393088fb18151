package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** I/O errors as a human reads them, one line each; Java's own messages are class names or "Input length = 1". */
public final class IoErrors {
    private IoErrors() {}

    /** An I/O error naming the file: "/proc/self/limits: no such file". */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException && ((FileSystemException) e).getFile() != null) {
            return ((FileSystemException) e).getFile() + ": " + reason(e);
        }
        return reason(e);
    }

    /** Why an I/O operation failed, without the path. */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        if (e instanceof java.nio.charset.MalformedInputException) {
            return "is not UTF-8 text";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
