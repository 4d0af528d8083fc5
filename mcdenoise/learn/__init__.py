"""Learning: devices, the U-Net, the loss, the pairs dataset, training and tiled inference."""
