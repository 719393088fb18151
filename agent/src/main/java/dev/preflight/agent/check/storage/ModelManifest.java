package dev.preflight.agent.check.storage;

import dev.preflight.agent.hostfs.BoundedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A model store's fingerprint, cheap enough to take on every node and compare: every file's relative
 * path and size, the whole content hash of small metadata files (config.json, tokenizer files, the
 * safetensors index) and a hash of the first and last 64 KiB of each weight file. Nodes whose
 * fingerprints differ would load different models, or fail halfway. Symbolic links are followed
 * (Hugging Face caches link snapshots to blobs).
 */
public final class ModelManifest {
    /** One file's line in the manifest. */
    public record Entry(String path, long size, String hash, boolean weights) {}

    static final int SAMPLE_BYTES = 64 * 1024;
    static final long SMALL_FILE_BYTES = 1024 * 1024;
    /** A store with more files than this is not a model; the walk stops and says so. */
    static final int MAX_FILES = 100_000;
    static final int MAX_DEPTH = 16;
    static final Set<String> WEIGHT_SUFFIXES = Set.of(".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt", ".msgpack",
            ".h5", ".npz", ".onnx", ".engine", ".plan");

    private final List<Entry> entries;
    private final boolean truncated;
    private final String fingerprint;

    private ModelManifest(List<Entry> entries, boolean truncated, String fingerprint) {
        this.entries = entries;
        this.truncated = truncated;
        this.fingerprint = fingerprint;
    }

    public static ModelManifest of(Path root) throws IOException {
        List<Entry> entries = new ArrayList<>();
        boolean[] truncated = {false};
        Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), MAX_DEPTH, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (!attributes.isRegularFile()) {
                    return FileVisitResult.CONTINUE;
                }
                if (entries.size() == MAX_FILES) {
                    truncated[0] = true;
                    return FileVisitResult.TERMINATE;
                }
                String relative = root.relativize(file).toString();
                boolean weights = isWeights(relative);
                long size = attributes.size();
                entries.add(new Entry(relative, size, hash(file, size, weights), weights));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof FileSystemLoopException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        entries.sort((a, b) -> a.path().compareTo(b.path()));
        MessageDigest digest = sha256();
        for (Entry entry : entries) {
            digest.update((entry.path() + "\t" + entry.size() + "\t" + entry.hash() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return new ModelManifest(List.copyOf(entries), truncated[0], HexFormat.of().formatHex(digest.digest()));
    }

    static boolean isWeights(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        for (String suffix : WEIGHT_SUFFIXES) {
            if (lower.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    /** Whole content for small metadata; head, tail and size for weights and other large files. */
    static String hash(Path file, long size, boolean weights) throws IOException {
        MessageDigest digest = sha256();
        if (!weights && size <= SMALL_FILE_BYTES) {
            digest.update(BoundedFile.readBytes(file, new BoundedFile.Limits(SMALL_FILE_BYTES, BoundedFile.USER.maxTime())));
        } else {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                digest.update(sample(channel, 0, (int) Math.min(SAMPLE_BYTES, size)));
                long tail = Math.max(SAMPLE_BYTES, size - SAMPLE_BYTES);
                if (tail < size) {
                    digest.update(sample(channel, tail, (int) (size - tail)));
                }
            }
            digest.update(Long.toString(size).getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static ByteBuffer sample(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                break;
            }
        }
        buffer.flip();
        return buffer;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    public boolean truncated() {
        return truncated;
    }

    /** SHA-256 over every entry's line, hex. */
    public String fingerprint() {
        return fingerprint;
    }

    public long totalBytes() {
        return entries.stream().mapToLong(Entry::size).sum();
    }

    public List<Entry> weights() {
        return entries.stream().filter(Entry::weights).toList();
    }
}
