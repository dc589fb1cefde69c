package destination.mailmodo.mailmodo;

import java.time.Duration;
import java.time.format.DateTimeParseException;

import io.quarkus.runtime.annotations.RegisterForReflection;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.spi.PropertiesFunction;

/**
 * {@code {{millis:mailmodo.timeout}}}: an ISO-8601 duration setting (the documented format) as the
 * milliseconds endpoint URIs take. Camel's own time parsing reads "PT1.2S" as 0, i.e. no timeout at all.
 */
@RegisterForReflection
public final class MillisFunction implements PropertiesFunction, CamelContextAware {

    private CamelContext camelContext;

    @Override
    public String getName() {
        return "millis";
    }

    @Override
    public String apply(String settingName) {
        String value = camelContext.getPropertiesComponent().resolveProperty(settingName)
                .orElseThrow(() -> new IllegalArgumentException("setting " + settingName + " is not set"));
        try {
            Duration duration = Duration.parse(value.trim());
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("setting " + settingName + " must be a positive duration, got " + value);
            }
            return Long.toString(duration.toMillis());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("setting " + settingName + " must be an ISO-8601 duration such as PT1.2S, got " + value);
        }
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }
}
