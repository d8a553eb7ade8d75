"""AWS CDK infrastructure for Homeostat: one construct per concern, composed by `HomeostatStack`."""

import os

# jsii prints a banner on Node 20 (the Node this project pins); set before aws_cdk starts jsii.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
