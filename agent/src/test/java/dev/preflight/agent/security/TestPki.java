package dev.preflight.agent.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made inside a test, with PEM files as cert-manager writes them (PKCS#8
 * keys), so TLS tests run against real certificates and nothing is checked in.
 */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    private final Path dir;
    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final Path caFile;

    /** The PEM files of an issued certificate. */
    public record Issued(Path cert, Path key) {}

    private TestPki(Path dir, String name) throws IOException, GeneralSecurityException {
        this.dir = dir;
        this.name = name;
        this.caKeys = keyPair();
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder builder = builder(subject, subject, caKeys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.caCertificate = sign(builder, caKeys);
        this.caFile = dir.resolve(name + "-ca.pem");
        Files.writeString(caFile, pem("CERTIFICATE", caCertificate.getEncoded()));
    }

    public static TestPki create(Path dir, String name) {
        try {
            return new TestPki(dir, name);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the test CA", e);
        }
    }

    public Path caFile() {
        return caFile;
    }

    /** A server certificate for these subject alternative names (IP literals become IP SANs). */
    public Issued server(String commonName, String... alternativeNames) {
        return issue(commonName, KeyPurposeId.id_kp_serverAuth, alternativeNames);
    }

    public Issued client(String commonName) {
        return issue(commonName, KeyPurposeId.id_kp_clientAuth);
    }

    private Issued issue(String commonName, KeyPurposeId purpose, String... alternativeNames) {
        try {
            KeyPair keys = keyPair();
            X509v3CertificateBuilder builder = builder(new X500Name("CN=" + name), new X500Name("CN=" + commonName), keys);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (alternativeNames.length > 0) {
                List<GeneralName> names = new ArrayList<>();
                for (String alternative : alternativeNames) {
                    boolean ip = alternative.matches("[0-9.]+") || alternative.contains(":");
                    names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, alternative));
                }
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(new GeneralName[0])));
            }
            X509Certificate certificate = sign(builder, caKeys);
            Path cert = dir.resolve(name + "-" + commonName + ".pem");
            Path key = dir.resolve(name + "-" + commonName + "-key.pem");
            Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
            Files.writeString(key, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
            return new Issued(cert, key);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a test certificate for " + commonName, e);
        }
    }

    private X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
            throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + new String(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encode(der),
                        StandardCharsets.US_ASCII)
                + "\n-----END " + type + "-----\n";
    }
}
