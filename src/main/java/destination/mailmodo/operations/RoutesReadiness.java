package destination.mailmodo.operations;

import jakarta.enterprise.context.ApplicationScoped;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Camel context and every route of this bundle are started. */
@Readiness
@ApplicationScoped
public class RoutesReadiness implements HealthCheck {

    private final CamelContext camel;

    public RoutesReadiness(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    public HealthCheckResponse call() {
        long notStarted = camel.getRoutes().stream()
                .filter(route -> camel.getRouteController().getRouteStatus(route.getRouteId()) != ServiceStatus.Started).count();
        return HealthCheckResponse.named("routes").status(camel.isStarted() && notStarted == 0)
                .withData("routes", camel.getRoutes().size()).withData("notStarted", notStarted).build();
    }
}
