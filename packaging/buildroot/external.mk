include $(sort $(wildcard $(BR2_EXTERNAL_TINYQGA_PATH)/package/*/*.mk))
