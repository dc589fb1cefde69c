package destination.mailmodo.segment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;

import destination.mailmodo.event.EventRejected;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.TenantKey;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Who is calling, and with which Mailmodo key (DESIGN §3). Passthrough mode: the Basic username is the
 * customer's Mailmodo key. Fixed-key mode ({@code mailmodo.api-key} + {@code destination.inbound-token}): the
 * Basic username or Bearer token must equal the token, and the configured key is used.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("inboundAuth")
public class InboundAuth {

    private static final String INVALID = "missing or invalid credential: send the Mailmodo API key as the Basic auth username";
    private static final String FIXED_INVALID = "missing or invalid credential";

    private final Optional<String> fixedApiKey;
    private final Optional<String> inboundToken;

    public InboundAuth(@ConfigProperty(name = "mailmodo.api-key") Optional<String> fixedApiKey,
            @ConfigProperty(name = "destination.inbound-token") Optional<String> inboundToken) {
        this.fixedApiKey = fixedApiKey.filter(s -> !s.isBlank());
        this.inboundToken = inboundToken.filter(s -> !s.isBlank());
    }

    public boolean fixedKeyMode() {
        return fixedApiKey.isPresent();
    }

    /**
     * @return the key to forward to Mailmodo; throws a 401 outcome when the credential does not do. A query
     *         string is refused first: the HTTP layer turns its parameters into headers, so
     *         {@code ?Authorization=} would otherwise pass for a header (and put a credential in access logs).
     */
    public TenantKey authenticate(String authorization, String queryString) {
        return authenticateCredential(authorization, queryString);
    }

    /** The ingest's step: the request's own Authorization header and query string (no expression binding). */
    public TenantKey authenticateRequest(Exchange exchange) {
        var message = exchange.getMessage();
        return authenticateCredential(message.getHeader("Authorization", String.class), message.getHeader(Exchange.HTTP_QUERY, String.class));
    }

    private TenantKey authenticateCredential(String authorization, String queryString) {
        if (queryString != null && !queryString.isEmpty()) {
            throw EventRejected.malformed("query parameters are not accepted: send credentials and settings as headers");
        }
        String presented = presentedCredential(authorization, fixedKeyMode())
                .orElseThrow(() -> new EventRejected(Outcome.denied(401, "unauthorized", fixedKeyMode() ? FIXED_INVALID : INVALID)));
        if (fixedApiKey.isEmpty()) {
            return TenantKey.of(presented);
        }
        // constant-time: the token is a shared secret
        if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), inboundToken.get().getBytes(StandardCharsets.UTF_8))) {
            throw new EventRejected(Outcome.denied(401, "unauthorized", FIXED_INVALID));
        }
        return TenantKey.of(fixedApiKey.get());
    }

    static Optional<String> presentedCredential(String authorization, boolean bearerAllowed) {
        if (authorization == null) {
            return Optional.empty();
        }
        String value = authorization.trim();
        if (bearerAllowed && value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(value.substring(7).trim()).filter(s -> !s.isEmpty());
        }
        if (!value.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(value.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        String username = colon < 0 ? decoded : decoded.substring(0, colon);
        return Optional.of(username.trim()).filter(s -> !s.isEmpty());
    }
}
