package dev.preflight.agent.security;

import dev.preflight.agent.hostfs.BoundedFile;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * PEM certificates and keys as cert-manager, openssl and Kubernetes Secrets hold them. Every
 * failure names the file and what was expected, so a bad mount is a one-line error at start.
 */
public final class PemFiles {
    /** Certificate bundles and keys are a few kB; a bound keeps a wrong mount from filling the heap. */
    static final int MAX_PEM_BYTES = 1024 * 1024;
    /** How often a rotated certificate (cert-manager renews in place) is picked up. */
    public static final long RELOAD_SECONDS = 60;

    private PemFiles() {}

    /** Every certificate in a PEM bundle; at least one. */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        byte[] bytes = read(file);
        if (!new String(bytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException(file + ": no certificate in it (expected -----BEGIN CERTIFICATE-----)");
        }
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            for (Certificate certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new java.io.ByteArrayInputStream(bytes))) {
                certificates.add((X509Certificate) certificate);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": not a PEM certificate bundle (" + e.getMessage() + ")");
        }
        return certificates;
    }

    /** A PKIX trust manager that trusts exactly the certificates of a CA bundle. */
    public static X509TrustManager trustManager(Path caFile) throws IOException {
        List<X509Certificate> authorities = certificates(caFile);
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager) {
                    return (X509TrustManager) manager;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(caFile + ": cannot use it as a certificate authority (" + e.getMessage() + ")");
        }
        throw new IllegalStateException("the Java runtime offers no X.509 trust manager");
    }

    /** A certificate chain and its private key, read once. */
    public static AdvancedTlsX509KeyManager keyManager(Path certFile, Path keyFile) throws IOException {
        AdvancedTlsX509KeyManager manager = new AdvancedTlsX509KeyManager();
        load(manager, certFile, keyFile);
        return manager;
    }

    /**
     * As {@link #keyManager(Path, Path)}, re-read every {@link #RELOAD_SECONDS} when the files
     * change, so a renewed certificate is served without a restart.
     */
    public static AdvancedTlsX509KeyManager reloadingKeyManager(Path certFile, Path keyFile,
            ScheduledExecutorService executor) throws IOException {
        AdvancedTlsX509KeyManager manager = keyManager(certFile, keyFile);
        try {
            manager.updateIdentityCredentials(certFile.toFile(), keyFile.toFile(), RELOAD_SECONDS, TimeUnit.SECONDS,
                    executor);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(certFile + ", " + keyFile + ": " + e.getMessage());
        }
        return manager;
    }

    private static void load(AdvancedTlsX509KeyManager manager, Path certFile, Path keyFile) throws IOException {
        certificates(certFile);
        String key = new String(read(keyFile), StandardCharsets.US_ASCII);
        if (key.contains("-----BEGIN RSA PRIVATE KEY-----") || key.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new IllegalArgumentException(keyFile + ": a PKCS#1/SEC1 key; PKCS#8 (-----BEGIN PRIVATE KEY-----) is"
                    + " expected: convert it with openssl pkcs8 -topk8 -nocrypt -in " + keyFile
                    + " (cert-manager: privateKey.encoding: PKCS8)");
        }
        if (key.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException(keyFile + ": the key is encrypted; an unencrypted PKCS#8 key is expected");
        }
        if (!key.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException(keyFile + ": no private key in it (expected -----BEGIN PRIVATE KEY-----)");
        }
        try {
            manager.updateIdentityCredentials(certFile.toFile(), keyFile.toFile());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(keyFile + " with " + certFile + ": cannot load the key pair ("
                    + e.getMessage() + ")");
        }
        String alias = manager.chooseEngineServerAlias(null, null, null);
        if (!keyMatchesCertificate(manager.getPrivateKey(alias), manager.getCertificateChain(alias)[0])) {
            throw new IllegalArgumentException(keyFile + " is not the private key of the certificate in " + certFile);
        }
    }

    /** A mismatched pair would load fine and fail every handshake later: sign and verify once to catch it. */
    static boolean keyMatchesCertificate(PrivateKey key, X509Certificate certificate) {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA"
                : key.getAlgorithm().equals("RSA") ? "SHA256withRSA"
                : key.getAlgorithm();
        try {
            byte[] probe = "preflight key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] read(Path file) throws IOException {
        return BoundedFile.readBytes(file, new BoundedFile.Limits(MAX_PEM_BYTES, BoundedFile.USER.maxTime()));
    }
}
