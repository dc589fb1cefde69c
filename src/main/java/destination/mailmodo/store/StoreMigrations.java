package destination.mailmodo.store;

import io.quarkus.arc.InjectableInstance;
import io.quarkus.flyway.FlywayDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.interceptor.Interceptor;
import org.flywaydb.core.Flyway;

/**
 * Applies the versioned schema to the store in use at start-up. Run here rather than by Flyway's
 * migrate-at-start because the embedded file's directory must exist first.
 */
@ApplicationScoped
public class StoreMigrations {

    void migrate(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent start, Store store,
            @Any InjectableInstance<Flyway> flyways) {
        flyways.select(FlywayDataSource.FlywayDataSourceLiteral.of(store.dataSourceName())).get().migrate();
    }
}
