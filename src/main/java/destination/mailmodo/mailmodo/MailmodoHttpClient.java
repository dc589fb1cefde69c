package destination.mailmodo.mailmodo;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * The HTTP client of the Mailmodo calls (kamelet's endpoint only, not every http endpoint of a hub):
 * no automatic re-execution — the client would silently retry 429/503 outside the request's budget and the
 * rate limit — no cookie store, which would carry one tenant's cookies into another tenant's calls, and every
 * call ends by its deadline ({@link MailmodoCallDeadline}). The pool is sized on the kamelet's endpoint.
 */
@ApplicationScoped
@Named("mailmodoHttpClient")
@RegisterForReflection
public class MailmodoHttpClient implements HttpClientConfigurer {

    private final MailmodoCallDeadline deadline;

    public MailmodoHttpClient(MailmodoCallDeadline deadline) {
        this.deadline = deadline;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.disableAutomaticRetries().disableCookieManagement()
                // first in the chain: the deadline covers the wait for a pooled connection too
                .addExecInterceptorFirst("mailmodo-call-deadline", (request, scope, chain) -> {
                    deadline.started(scope);
                    return chain.proceed(request, scope);
                })
                // past the connect step: a request may now reach Mailmodo
                .addExecInterceptorAfter(ChainElement.CONNECT.name(), "mailmodo-call-connected", (request, scope, chain) -> {
                    deadline.connected();
                    return chain.proceed(request, scope);
                });
    }
}
