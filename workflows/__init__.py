"""CDK constructs of the order platform: shared infrastructure plus one construct per workflow.

This package imports `aws_cdk`; the Lambda runtime code in `lambdas/` never does.
"""
