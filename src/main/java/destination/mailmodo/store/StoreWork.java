package destination.mailmodo.store;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.ExecutorService;

import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Qualifier;

/**
 * The worker threads of the steps that wait for the store. The ingest runs on the HTTP event loop, which must
 * never wait: a route moves to this pool (a {@code threads} step naming {@code storeWork}) right before its first
 * step that reads or writes the store, and a Mailmodo answer resumes its route here. It is Quarkus' worker pool
 * (bounded by {@code quarkus.thread-pool.max-threads}); no thread of it waits for Mailmodo.
 */
@ApplicationScoped
public class StoreWork {

    /** Qualifies the pool, so it never stands in for an unqualified ExecutorService. */
    @Qualifier
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.TYPE })
    public @interface Pool {
    }

    @Produces
    @Pool
    @Named("storeWork")
    ExecutorService pool() {
        return Infrastructure.getDefaultWorkerPool();
    }
}
