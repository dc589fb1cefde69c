package destination.mailmodo.delivery;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.TenantKey;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * One Mailmodo call of the delivery unit, without a thread waiting for it: POSTs the exchange's body (the JSON
 * request) to {@code mailmodo.base-url}/{@code mailmodoPath} with the key as the {@code mmApiKey} header, then
 * classifies the answer ({@link MailmodoResponses}) — an AsyncProcessor on the Vert.x HTTP client.
 * <ul>
 * <li>The client never retries, re-sends or keeps cookies: redelivery is the route's, inside the budget and the
 * rate limit, and one tenant's cookies must never ride on another's call.</li>
 * <li>Pool: a connection for every request in flight ({@code destination.max-in-flight}); the wait for one, and the
 * connect, end by {@code mailmodo.connect-timeout}; each wait for a packet of the answer by {@code mailmodo.timeout}.</li>
 * <li>The whole call — pool wait, connect, send, the answer to its last byte — ends by one attempt's time, never
 * later than the request's budget. The exchange says how the deadline found the call it cut ({@link #CUT}): still
 * without a connection (nothing was sent), or connected (it may have reached Mailmodo: ambiguous).</li>
 * </ul>
 * The core Vert.x client rather than its WebClient: the core client's request future completes when the call has
 * its connection, which is what tells those two cuts apart; the WebClient hides that moment.
 * The answer resumes the route where the call came from: on its event loop when the route was on one (the event
 * path, whose steps after the call never block), else on this processor's own threads ({@code mailmodo-answer}) —
 * a contact batch or a gathering records its outcomes in the store right after the call, and a caller blocked on a
 * worker (a gathering's leader) must never need a free worker to see its own call's answer.
 */
@ApplicationScoped
@Named("mailmodoCall")
@RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
public class MailmodoCall extends AsyncProcessorSupport {

    /** Exchange property set when the deadline cut the call: {@link Cut}. */
    public static final String CUT = "mailmodoCallCut";
    /** Exchange property naming the Mailmodo endpoint below the base URL (addToList, addToList/batch, addEvent). */
    public static final String PATH = "mailmodoPath";

    /** How the deadline found the call it cut. */
    public enum Cut {
        /** still waiting for a pooled connection or connecting: nothing was sent */
        NO_CONNECTION,
        /** connected: the request may have reached Mailmodo */
        UNANSWERED
    }

    // Mailmodo's answers are a few hundred bytes; a larger one is cut here, not buffered whole
    private static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final String USER_AGENT = "mailmodo-destination";

    private final Vertx vertx;
    private final HttpClient client;
    // the base URL's parts, taken once: every call only appends its path
    private final String host;
    private final int port;
    private final boolean tls;
    private final String basePath;
    private final long connectMillis;
    private final long answerIdleMillis;
    private final RequestBudget budget;
    private final MailmodoResponses responses;
    private final DeliveryCounters counters;
    private final ExecutorService resume;

    public MailmodoCall(Vertx vertx, @ConfigProperty(name = "mailmodo.base-url") String baseUrl,
            @ConfigProperty(name = "mailmodo.connect-timeout") Duration connectTimeout,
            @ConfigProperty(name = "mailmodo.timeout") Duration timeout,
            @ConfigProperty(name = "destination.max-in-flight") int maxInFlight, RequestBudget budget,
            MailmodoResponses responses, DeliveryCounters counters) {
        this.vertx = vertx;
        URI base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.host = base.getHost();
        this.tls = "https".equalsIgnoreCase(base.getScheme());
        this.port = base.getPort() != -1 ? base.getPort() : tls ? 443 : 80;
        this.basePath = base.getRawPath();
        this.connectMillis = connectTimeout.toMillis();
        this.answerIdleMillis = timeout.toMillis();
        this.budget = budget;
        this.responses = responses;
        this.counters = counters;
        // its own threads, not the worker pool: a caller blocked on a worker (a gathering's leader sending its call,
        // joiners waiting for it) must never wait for a free worker to see its own call's answer
        this.resume = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "mailmodo-answer");
            thread.setDaemon(true);
            return thread;
        });
        HttpClientOptions options = new HttpClientOptions().setKeepAlive(true).setPipelining(false)
                .setTryUseCompression(false).setConnectTimeout((int) connectMillis)
                // Mailmodo's API is HTTPS with a certificate for its host name: the JDK's trust store, host verified
                .setVerifyHost(true).setTrustAll(false);
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(maxInFlight));
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Call call = new Call(exchange, callback);
        try {
            call.start();
        } catch (RuntimeException failed) {
            // a missing property, a client closed at shutdown: the exchange fails, it never hangs
            call.finish(() -> exchange.setException(failed));
        }
        return false;
    }

    /** One attempt: completes the exchange exactly once, from the answer, a failure, or the deadline. */
    private final class Call {
        private final Exchange exchange;
        private final AsyncCallback callback;
        private final String path;
        private final long startedNanos = System.nanoTime();
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile HttpClientRequest request; // set once the call has its connection
        private long timer = -1;
        // the event loop the route came from, resumed on after the call; null: resumed on a mailmodo-answer thread
        private final Context caller = Context.isOnEventLoopThread() ? Vertx.currentContext() : null;

        Call(Exchange exchange, AsyncCallback callback) {
            this.exchange = exchange;
            this.callback = callback;
            this.path = exchange.getProperty(PATH, String.class);
        }

        void start() {
            exchange.removeProperty(CUT);
            long deadline = Math.max(0, Math.min(budget.attemptMillis(), budget.remainingMillis(exchange)));
            if (deadline == 0) {
                cut();
                return;
            }
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port)
                    .setSsl(tls).setURI(basePath + path).setConnectTimeout(Math.min(connectMillis, deadline))
                    .setIdleTimeout(answerIdleMillis).setFollowRedirects(false)
                    .putHeader("Content-Type", "application/json; charset=utf-8").putHeader("Accept", "application/json")
                    .putHeader("User-Agent", USER_AGENT)
                    // the key travels as this header only: never in a URI, a log or a metric tag
                    .putHeader("mmApiKey", exchange.getProperty("tenantKey", TenantKey.class).apiKey());
            // JSON is UTF-8 (RFC 8259), whatever the platform's default charset
            String json = exchange.getMessage().getBody(String.class);
            byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
            timer = vertx.setTimer(deadline, fired -> cut());
            client.request(options).onComplete(connected -> {
                if (connected.failed()) {
                    fail(connected.cause(), false);
                    return;
                }
                HttpClientRequest sent = connected.result();
                request = sent;
                if (done.get()) {
                    sent.reset(); // the deadline came first: the connection is not used
                    return;
                }
                sent.send(Buffer.buffer(body)).onComplete(answered -> {
                    if (answered.failed()) {
                        fail(answered.cause(), true);
                    } else {
                        read(answered.result());
                    }
                });
            });
        }

        private void read(HttpClientResponse response) {
            Buffer answer = Buffer.buffer();
            response.handler(chunk -> {
                if (answer.length() < MAX_ANSWER_BYTES) {
                    answer.appendBuffer(chunk, 0, Math.min(chunk.length(), MAX_ANSWER_BYTES - answer.length()));
                }
            });
            response.exceptionHandler(failure -> fail(failure, true));
            response.endHandler(end -> finish(() -> {
                var message = exchange.getMessage();
                message.setHeader(Exchange.HTTP_RESPONSE_CODE, response.statusCode());
                String retryAfter = response.getHeader("Retry-After");
                if (retryAfter != null) {
                    message.setHeader("Retry-After", retryAfter);
                }
                String text = answer.toString(StandardCharsets.UTF_8);
                message.setBody(text);
                counters.mailmodoCall(path, Integer.toString(response.statusCode()), System.nanoTime() - startedNanos);
                responses.classify(response.statusCode(), retryAfter, text);
            }));
        }

        /** A transport failure, as the I/O exception the route's retry and outcome rules read. */
        private void fail(Throwable failure, boolean connected) {
            finish(() -> {
                boolean timedOut = failure instanceof java.util.concurrent.TimeoutException
                        || failure.getClass().getSimpleName().contains("Timeout");
                IOException io;
                if (!connected && timedOut) {
                    // no connection in time (pool wait or connect): nothing was sent, as when the deadline cuts it
                    exchange.setProperty(CUT, Cut.NO_CONNECTION);
                    io = new ConnectException("no connection to Mailmodo in time");
                } else if (!connected) {
                    io = new ConnectException("Mailmodo could not be reached");
                } else if (timedOut) {
                    io = new SocketTimeoutException("Mailmodo did not answer in time");
                } else {
                    io = new IOException("the connection to Mailmodo ended before its answer");
                }
                // no cause: Camel picks the onException by the innermost cause, and Vert.x's own exceptions are not I/O
                counters.mailmodoCall(path, timedOut ? "timeout" : "io_error", System.nanoTime() - startedNanos);
                exchange.setException(io);
            });
        }

        /** The deadline: cancels the call where it is. */
        private void cut() {
            HttpClientRequest connected = request;
            Cut cut = connected != null ? Cut.UNANSWERED : Cut.NO_CONNECTION;
            if (finish(() -> {
                exchange.setProperty(CUT, cut);
                counters.mailmodoCall(path, "timeout", System.nanoTime() - startedNanos);
                exchange.setException(cut == Cut.UNANSWERED ? new SocketTimeoutException("Mailmodo did not answer in time")
                        : new ConnectException("no connection to Mailmodo within the call's deadline"));
            }) && connected != null) {
                connected.reset();
            }
        }

        /** Completes the exchange once; the route resumes on its event loop, or on a mailmodo-answer thread. */
        boolean finish(Runnable outcome) {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            if (timer != -1) {
                vertx.cancelTimer(timer);
            }
            try {
                outcome.run();
            } catch (RuntimeException refused) {
                exchange.setException(refused); // Mailmodo's answer classified as a failure
            }
            if (caller != null) {
                caller.runOnContext(ignored -> callback.done(false));
                return true;
            }
            try {
                resume.execute(() -> callback.done(false));
            } catch (RejectedExecutionException shuttingDown) {
                callback.done(false); // at shutdown: finish here rather than never
            }
            return true;
        }
    }

    @PreDestroy
    void closeClient() {
        client.close();
        resume.shutdown();
    }
}
