"""The CDK app (aws-cdk-lib v2): the stack and the constructs it is made of."""
