package dev.preflight.agent.security;

import dev.preflight.agent.hostfs.BoundedFile;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.Executor;

/**
 * A shared secret read from a file (a mounted Kubernetes Secret), sent as {@code authorization:
 * Bearer TOKEN}. Compared in constant time: both sides are hashed first, so neither the content
 * nor the length of the expected token leaks through timing.
 */
public final class BearerToken {
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final String SCHEME = "Bearer ";
    static final int MIN_LENGTH = 16;
    static final int MAX_LENGTH = 4096;

    private final String token;
    private final byte[] digest;

    private BearerToken(String token) {
        this.token = token;
        this.digest = sha256(token);
    }

    /**
     * Reads the token: the file's content without surrounding whitespace (a trailing newline is
     * what {@code echo} and most editors leave).
     *
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException naming the file and what is wrong with its content
     */
    public static BearerToken readFile(Path file) throws IOException {
        // the token and the newline an editor leaves
        byte[] bytes = BoundedFile.readBytes(file, new BoundedFile.Limits(MAX_LENGTH + 1, BoundedFile.USER.maxTime()));
        return of(new String(bytes, StandardCharsets.US_ASCII).strip(), file.toString());
    }

    static BearerToken of(String token, String origin) {
        if (token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(origin + ": the token has " + token.length() + " characters, at least "
                    + MIN_LENGTH + " expected (e.g. the output of: openssl rand -hex 32)");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException(origin + ": the token must be one line of printable ASCII without spaces"
                        + " (character " + (i + 1) + " is not)");
            }
        }
        return new BearerToken(token);
    }

    /** Whether an {@code authorization} header value carries this token. */
    public boolean matchesHeader(String header) {
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(header.substring(SCHEME.length())));
    }

    /**
     * Call credentials for a client: the token goes out only on a channel with privacy and
     * integrity (TLS) or to a loopback address, never in the clear over a network.
     */
    public CallCredentials callCredentials() {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                if (info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY
                        && !Loopback.isLoopbackAuthority(info.getAuthority())) {
                    applier.fail(Status.UNAUTHENTICATED.withDescription("refusing to send the bearer token to "
                            + info.getAuthority() + " without TLS (give --tls-ca)"));
                    return;
                }
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, SCHEME + token);
                applier.apply(headers);
            }
        };
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "BearerToken(redacted)";
    }
}
