package destination.mailmodo.event;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A Mailmodo API key and the tenant it names. The tenant (first 16 hex chars of SHA-256 of the key) is what
 * gets stored and logged; the key itself only travels to Mailmodo.
 */
@RegisterForReflection // named in routes/*.yaml
public record TenantKey(String apiKey, String tenant) {

    // every request hashes its key: the tenants seen lately are remembered (bounded: unknown keys cannot grow it)
    private static final int REMEMBERED = 10_000;
    private static final Map<String, TenantKey> SEEN = new ConcurrentHashMap<>();

    public static TenantKey of(String apiKey) {
        TenantKey known = SEEN.get(apiKey);
        if (known != null) {
            return known;
        }
        if (SEEN.size() >= REMEMBERED) {
            SEEN.clear();
        }
        TenantKey computed = hash(apiKey);
        SEEN.put(apiKey, computed);
        return computed;
    }

    private static TenantKey hash(String apiKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(apiKey.getBytes(StandardCharsets.UTF_8));
            return new TenantKey(apiKey, HexFormat.of().formatHex(digest).substring(0, 16));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    @Override
    public String toString() {
        // keeps the key out of any log line or debugger view that prints the record
        return "TenantKey[tenant=" + tenant + "]";
    }
}
