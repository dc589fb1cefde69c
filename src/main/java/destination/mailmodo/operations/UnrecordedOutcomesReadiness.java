package destination.mailmodo.operations;

import destination.mailmodo.store.UnrecordedOutcomes;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready while outcomes this instance decided wait to be recorded in the state store (they would be lost with
 * the process): the count is reported, and readiness returns once the store has taken them all.
 */
@Readiness
@ApplicationScoped
public class UnrecordedOutcomesReadiness implements HealthCheck {

    private final UnrecordedOutcomes unrecorded;

    public UnrecordedOutcomesReadiness(UnrecordedOutcomes unrecorded) {
        this.unrecorded = unrecorded;
    }

    @Override
    public HealthCheckResponse call() {
        int waiting = unrecorded.size();
        return HealthCheckResponse.named("unrecorded outcomes").status(waiting == 0).withData("waiting", waiting).build();
    }
}
