package destination.mailmodo.mailmodo;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import destination.mailmodo.segment.RequestBudget;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.core5.concurrent.Cancellable;

/**
 * The whole of one Mailmodo attempt — waiting for a pooled connection, connecting, sending, and reading the answer
 * to its last byte — ends by a deadline: one attempt's time ({@code mailmodo.connect-timeout} +
 * {@code mailmodo.timeout}), never later than the request's budget. The HTTP client's own timeouts only bound each
 * wait for a packet, so a Mailmodo that trickles its answer would hold the call (and the sender's answer) for as
 * long as it trickles; camel-http has no overall limit, hence this one: at the deadline the call is cancelled.
 * The blocking HTTP producer runs the call on the thread that armed it, which is how the client finds it.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("mailmodoCallDeadline")
public class MailmodoCallDeadline {

    /** Exchange property set when the deadline cut the call: {@link Cut}. */
    public static final String CUT = "mailmodoCallCut";

    /** How the deadline found the call it cut. */
    public enum Cut {
        /** still waiting for a pooled connection: nothing was sent */
        NO_CONNECTION,
        /** connected: the request may have reached Mailmodo */
        UNANSWERED
    }

    /** One armed attempt. */
    private static final class Call {
        final long deadlineNanos;
        volatile ScheduledFuture<?> abort;
        volatile boolean connected;
        volatile Cut cut;

        Call(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }
    }

    private final RequestBudget budget;
    private final ThreadLocal<Call> current = new ThreadLocal<>();
    private final ScheduledExecutorService aborts = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "mailmodo-call-deadline");
        thread.setDaemon(true);
        return thread;
    });

    public MailmodoCallDeadline(RequestBudget budget) {
        this.budget = budget;
    }

    /** Right before the call (delivery route): one attempt's time, or what is left of the budget if less. */
    public void arm(Exchange exchange) {
        long millis = Math.max(0, Math.min(budget.attemptMillis(), budget.remainingMillis(exchange)));
        current.set(new Call(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis)));
    }

    /** The HTTP client starts executing the armed call: cancel it at the deadline. */
    void started(ExecChain.Scope scope) {
        Call call = current.get();
        if (call == null || !(scope.originalRequest instanceof Cancellable request)) {
            return; // a call made outside the delivery route (a hub's own route through the kamelet)
        }
        Runnable cancel = () -> {
            call.cut = call.connected ? Cut.UNANSWERED : Cut.NO_CONNECTION;
            request.cancel();
        };
        call.abort = aborts.schedule(cancel, Math.max(0, call.deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** The armed call has its connection: from now on, a cut may leave a request at Mailmodo unanswered. */
    void connected() {
        Call call = current.get();
        if (call != null) {
            call.connected = true;
        }
    }

    /**
     * After the call, answered or not (delivery route's doFinally): disarms, and says on the exchange if the deadline
     * cut a call that failed (a cut that came after the answer was read changes nothing).
     */
    public void disarm(Exchange exchange) {
        Call call = current.get();
        current.remove();
        if (call == null) {
            return;
        }
        ScheduledFuture<?> abort = call.abort;
        if (abort != null) {
            abort.cancel(false);
        }
        if (call.cut != null && (exchange.getException() != null || exchange.getProperty(Exchange.EXCEPTION_CAUGHT) != null)) {
            exchange.setProperty(CUT, call.cut);
        } else {
            exchange.removeProperty(CUT);
        }
    }

    @PreDestroy
    void stop() {
        aborts.shutdownNow();
    }
}
