package dev.preflight.agent.hostfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * /etc/ld.so.cache, the index the dynamic loader consults for a bare soname such as
 * "libibverbs.so.1" (glibc elf/cache.c, the "glibc-ld.so.cache1.1" format, alone or after the old
 * "ld.so-1.7.0" table). What {@code ldconfig -p} prints, read without running it.
 */
public final class LdSoCache {
    /** A library name and the path the loader would open for it. */
    public record Entry(String name, String path) {}

    private static final String OLD_MAGIC = "ld.so-1.7.0";
    private static final String NEW_MAGIC = "glibc-ld.so.cache1.1";
    private static final int NEW_HEADER_BYTES = 48;
    private static final int NEW_ENTRY_BYTES = 24;
    private static final int OLD_ENTRY_BYTES = 12;

    private LdSoCache() {}

    public static List<Entry> parse(String source, byte[] cache) throws MalformedInputException {
        int start = 0;
        if (startsWith(cache, 0, OLD_MAGIC)) {
            // The old table: magic padded to 12 bytes, a count, 12-byte entries; the new table follows, 8-aligned.
            if (cache.length < 16) {
                throw malformed(source, "an old-format header that ends early");
            }
            long oldCount = le32(cache, 12);
            long end = 16 + oldCount * OLD_ENTRY_BYTES;
            start = (int) Math.min(cache.length, (end + 7) & ~7L);
        }
        if (!startsWith(cache, start, NEW_MAGIC)) {
            throw malformed(source, "no '" + NEW_MAGIC + "' table");
        }
        if (cache.length < start + NEW_HEADER_BYTES) {
            throw malformed(source, "a header that ends early");
        }
        long count = le32(cache, start + 20);
        if (count < 0 || start + NEW_HEADER_BYTES + count * NEW_ENTRY_BYTES > cache.length) {
            throw malformed(source, count + " entries in " + cache.length + " bytes");
        }
        List<Entry> entries = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            int entry = start + NEW_HEADER_BYTES + i * NEW_ENTRY_BYTES;
            // String offsets count from the start of the new-format table.
            String name = string(source, cache, start + le32(cache, entry + 4));
            String path = string(source, cache, start + le32(cache, entry + 8));
            entries.add(new Entry(name, path));
        }
        return entries;
    }

    private static String string(String source, byte[] cache, long offset) throws MalformedInputException {
        if (offset < 0 || offset >= cache.length) {
            throw malformed(source, "a string offset " + offset + " past the end (" + cache.length + " bytes)");
        }
        int end = (int) offset;
        while (end < cache.length && cache[end] != 0) {
            end++;
        }
        if (end == cache.length) {
            throw malformed(source, "an unterminated string at " + offset);
        }
        return new String(cache, (int) offset, end - (int) offset, StandardCharsets.UTF_8);
    }

    private static MalformedInputException malformed(String source, String what) {
        return new MalformedInputException(source, what, "a glibc ld.so.cache (format 1.1)");
    }

    private static boolean startsWith(byte[] bytes, int offset, String magic) {
        byte[] expected = magic.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (bytes[offset + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static long le32(byte[] bytes, int offset) {
        return (bytes[offset] & 0xffL) | (bytes[offset + 1] & 0xffL) << 8 | (bytes[offset + 2] & 0xffL) << 16
                | (bytes[offset + 3] & 0xffL) << 24;
    }
}
