"""EventBridge: scheduled rules (SAM `Schedule`) and EventBridge Scheduler schedules
(`ScheduleV2`) that invoke a function asynchronously on a rate (schedules.py). Each runs as an
event source (awslambda/event_source_mappings/base.py) through Lambda's asynchronous invocation."""
