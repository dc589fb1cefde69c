package destination.mailmodo.operations;

import java.sql.Connection;

import destination.mailmodo.store.Store;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the store in use answers (Mailmodo's availability is not ours to report). */
@Readiness
@ApplicationScoped
public class StoreReadiness implements HealthCheck {

    private final Store store;

    public StoreReadiness(Store store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("state store").withData("store", store.dataSourceName());
        try (Connection connection = store.dataSource().getConnection()) {
            return response.status(connection.isValid(1)).build();
        } catch (Exception unreachable) {
            return response.down().withData("error", unreachable.getClass().getSimpleName()).build();
        }
    }
}
