"""A small fully connected discriminator on class-probability vectors (for Adversarial*).

D_fc(p) -> one logit: large when p looks like a teacher's output, small when like a
student's. Input: softmax outputs of size num_classes.
"""

import torch.nn as nn

from . import register


class FCDiscriminator(nn.Module):
    def __init__(self, *, num_classes=10, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(num_classes, hidden), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(hidden, 1),
        )

    def forward(self, p):
        return self.net(p).squeeze(1)


@register
def fc_discriminator(*, num_classes=10, hidden=64):
    return FCDiscriminator(num_classes=num_classes, hidden=hidden)
