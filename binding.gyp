{
  "comment": "Not a second build: node-gyp only runs scripts/install.mjs --force, which drives CMakeLists.txt through cmake-js (see README, 'Building').",
  "targets": [
    {
      "target_name": "neural_ivp",
      "type": "none",
      "actions": [
        {
          "action_name": "cmake_js_build",
          "inputs": ["<(module_root_dir)/CMakeLists.txt"],
          "outputs": ["<(module_root_dir)/build/Release/neural_ivp.node"],
          "action": ["node", "<(module_root_dir)/scripts/install.mjs", "--force"]
        }
      ]
    }
  ]
}
