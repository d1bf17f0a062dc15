"""What the local Step Functions API says of each deployed state machine is what the template
configured: a user checking logging or tracing with `describe-state-machine` sees the truth."""

from __future__ import annotations

import pytest

from local_runtime import LocalApp

pytestmark = pytest.mark.workflow


def test_every_state_machine_describes_the_logging_and_tracing_of_its_template(app: LocalApp) -> None:
    sfn = app.client("stepfunctions")
    machines = app.resources.of_type("AWS::StepFunctions::StateMachine") if app.resources else []
    assert len(machines) == 5  # outbox, saga, notification, claim split, claim resolve
    for machine in machines:
        described = sfn.describe_state_machine(stateMachineArn=machine.ref)
        template = machine.properties["LoggingConfiguration"]
        logging = described["loggingConfiguration"]
        # Level ALL everywhere; execution data as each template says (the notification's carry
        # personal data and keep it out of its logs)
        assert logging["level"] == template["Level"] == "ALL", machine.path
        assert logging["includeExecutionData"] is template["IncludeExecutionData"], machine.path
        (destination,) = logging["destinations"]
        (configured,) = template["Destinations"]
        assert (
            destination["cloudWatchLogsLogGroup"]["logGroupArn"]
            == (configured["CloudWatchLogsLogGroup"]["LogGroupArn"])
        )
        assert described["tracingConfiguration"] == {"enabled": True}, machine.path
