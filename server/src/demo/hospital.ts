// The demo hospital: two buildings on one campus plus a small north campus, the six service
// categories with their common items, seven teams with ~20 staff. Realistic enough to run a shift.

export const CAMPUSES = [
  {
    name: '南院区', nameEn: 'South Campus',
    buildings: [
      {
        name: '门诊医技楼', nameEn: 'Outpatient & Diagnostics', zone: 'south-a',
        floors: [
          { name: '1F', rooms: [['门诊大厅', 'Outpatient hall', '2101'], ['急诊科', 'Emergency', '2120'], ['收费处', 'Cashier', '2105'], ['药房', 'Pharmacy', '2110']] },
          { name: '2F', rooms: [['检验科', 'Laboratory', '2201'], ['放射科 CT室', 'Radiology CT', '2210'], ['超声科', 'Ultrasound', '2220']] },
          { name: '3F', rooms: [['内科门诊', 'Internal medicine clinic', '2301'], ['外科门诊', 'Surgery clinic', '2310'], ['儿科门诊', 'Paediatrics clinic', '2320']] },
          { name: '4F', rooms: [['手术室', 'Operating theatres', '2401'], ['麻醉科', 'Anaesthesia', '2410'], ['消毒供应中心', 'Sterile supply', '2420']] },
        ],
      },
      {
        name: '住院楼', nameEn: 'Inpatient Tower', zone: 'south-b',
        floors: [
          { name: '5F', rooms: [['心内科病区 护士站', 'Cardiology ward nurses station', '3501'], ['心内科病区 512室', 'Cardiology ward room 512', '3512'], ['心内科病区 医生办公室', 'Cardiology doctors office', '3505']] },
          { name: '6F', rooms: [['呼吸科病区 护士站', 'Respiratory ward nurses station', '3601'], ['呼吸科病区 608室', 'Respiratory ward room 608', '3608'], ['呼吸科病区 医生办公室', 'Respiratory doctors office', '3605']] },
          { name: '7F', rooms: [['骨科病区 护士站', 'Orthopaedics ward nurses station', '3701'], ['骨科病区 715室', 'Orthopaedics ward room 715', '3715'], ['骨科病区 医生办公室', 'Orthopaedics doctors office', '3705']] },
          { name: '8F', rooms: [['普外科病区 护士站', 'General surgery ward nurses station', '3801'], ['普外科病区 820室', 'General surgery ward room 820', '3820'], ['普外科病区 医生办公室', 'General surgery doctors office', '3805']] },
          { name: '9F', rooms: [['ICU 护士站', 'ICU nurses station', '3901'], ['ICU 3床', 'ICU bed 3', '3903'], ['产科病区 护士站', 'Obstetrics ward nurses station', '3950']] },
          { name: 'B1', rooms: [['营养食堂', 'Kitchen', '3001'], ['配电房', 'Switch room', '3005'], ['污物间', 'Waste room', '3010']] },
        ],
      },
    ],
  },
  {
    name: '北院区', nameEn: 'North Campus',
    buildings: [
      {
        name: '综合楼', nameEn: 'General Building', zone: 'north',
        floors: [
          { name: '1F', rooms: [['康复科', 'Rehabilitation', '5101'], ['体检中心', 'Health check centre', '5110'], ['后勤服务中心 100', 'Logistics hotline desk', '5100']] },
          { name: '2F', rooms: [['行政办公室', 'Administration', '5201'], ['信息中心机房', 'IT server room', '5210'], ['财务科', 'Finance', '5220']] },
          { name: '3F', rooms: [['老年病区 护士站', 'Geriatrics ward nurses station', '5301'], ['老年病区 305室', 'Geriatrics ward room 305', '5305']] },
        ],
      },
    ],
  },
] as const

export const TEAMS = [
  { code: 'maintenance', name: '维修班', nameEn: 'Maintenance', points: [['南院区维修服务点', 'South maintenance point'], ['北院区维修服务点', 'North maintenance point']] },
  { code: 'transport', name: '运送中心', nameEn: 'Patient & specimen transport', points: [['南区运送服务中心', 'South transport centre'], ['北区运送服务中心', 'North transport centre']] },
  { code: 'cleaning', name: '保洁组', nameEn: 'Cleaning', points: [['保洁服务点', 'Cleaning point']] },
  { code: 'catering', name: '营养餐饮', nameEn: 'Catering', points: [['营养食堂', 'Kitchen desk']] },
  { code: 'general', name: '总务科', nameEn: 'General affairs', points: [['总务库房', 'General stores']] },
  { code: 'it', name: '信息中心', nameEn: 'IT', points: [['门诊计算机维修点', 'Outpatient computer repair point']] },
  { code: 'service_desk', name: '客服质控组', nameEn: 'Service desk & complaints', points: [['后勤服务中心', 'Hotline desk']] },
] as const

// [name, phone, skills, on duty]
export const STAFF: Record<string, [string, string, string[], boolean][]> = {
  maintenance: [['王建国', '13800010001', ['电工', '空调'], true], ['李明', '13800010002', ['水暖', '木工'], true], ['赵强', '13800010003', ['电工'], false], ['陈志远', '13800010004', ['空调', '电梯'], true]],
  transport: [['张伟', '13800020001', ['病人运送'], true], ['刘洋', '13800020002', ['标本运送'], true], ['孙磊', '13800020003', ['病人运送'], true], ['周杰', '13800020004', ['病人运送'], false]],
  cleaning: [['吴秀英', '13800030001', ['病区保洁'], true], ['郑桂兰', '13800030002', ['终末消毒'], true], ['冯丽', '13800030003', ['病区保洁'], false]],
  catering: [['何芳', '13800040001', ['配餐'], true], ['许静', '13800040002', ['配餐'], true]],
  general: [['马超', '13800050001', ['物资配送'], true], ['朱红', '13800050002', ['被服'], true]],
  it: [['林涛', '13800060001', ['电脑', '打印机'], true], ['黄晓东', '13800060002', ['网络'], false]],
  service_desk: [['高敏', '13800070001', ['投诉处理'], true], ['郭婷', '13800070002', ['咨询'], true]],
}

// [code, name, nameEn, pinyin initials, team, response min (routine/urgent/critical), completion min, tools, script]
type ItemSeed = [string, string, string, string, string, [number, number, number], [number, number, number], string[], string]
export const CATEGORIES: { code: string; name: string; nameEn: string; items: ItemSeed[] }[] = [
  {
    code: 'repair', name: '维修', nameEn: 'Repairs',
    items: [
      ['repair.ac', '空调不制冷/不制热', 'Air conditioning not working', 'kt', 'maintenance', [30, 15, 10], [240, 120, 60], ['梯子', '万用表'], '请问是哪一台空调？出风口有风吗？遥控器显示什么？病房有病人吗？'],
      ['repair.light', '灯具不亮', 'Light out', 'dj', 'maintenance', [30, 15, 10], [120, 60, 30], ['梯子', '灯管'], '请问是几号灯、几盏不亮？是否影响治疗操作？'],
      ['repair.socket', '插座/电源故障', 'Socket or power fault', 'cz', 'maintenance', [20, 10, 5], [120, 60, 30], ['万用表', '绝缘手套'], '是否有烧焦味或火花？如有请先断开设备电源。涉及医疗设备请说明设备名称。'],
      ['repair.water', '漏水/水管堵塞', 'Leak or blocked pipe', 'ls', 'maintenance', [20, 10, 5], [180, 90, 45], ['管钳', '疏通机'], '漏水位置在哪里？水量大吗？是否需要先关闭阀门？'],
      ['repair.toilet', '卫生间洁具故障', 'Toilet or sink fault', 'wsj', 'maintenance', [30, 20, 10], [180, 120, 60], ['疏通机'], '请问是哪个卫生间？是堵塞、漏水还是冲水故障？'],
      ['repair.door', '门窗/门锁损坏', 'Door, window or lock broken', 'mc', 'maintenance', [30, 20, 10], [240, 120, 60], ['工具箱'], '门锁是否影响病人安全（如精神科、ICU）？'],
      ['repair.bed', '病床/轮椅维修', 'Bed or wheelchair repair', 'bc', 'maintenance', [30, 20, 10], [240, 120, 60], ['工具箱'], '病床上是否有病人？需要先调换病床吗？'],
      ['repair.elevator', '电梯故障', 'Lift fault', 'dt', 'maintenance', [10, 5, 3], [120, 60, 30], ['电梯钥匙'], '是否有人被困？请记下电梯编号与所在楼层。有人被困按特急处理。'],
    ],
  },
  {
    code: 'transport', name: '运送', nameEn: 'Transport',
    items: [
      ['transport.patient_exam', '病人陪检（CT/超声/放射）', 'Escort patient to imaging', 'prpj', 'transport', [15, 10, 5], [60, 45, 30], ['轮椅'], '病人姓名、床号、检查项目和预约时间？能否行走？需要轮椅、平车还是氧气？'],
      ['transport.patient_bed', '病人平车转运', 'Patient transfer on stretcher', 'brzy', 'transport', [15, 10, 5], [60, 45, 30], ['平车', '氧气袋'], '病人情况是否稳定？需要护士陪同吗？目的科室是否已联系？'],
      ['transport.specimen', '标本送检', 'Specimen to laboratory', 'bbsj', 'transport', [15, 10, 5], [45, 30, 20], ['标本箱'], '标本数量和类型？是否为急查标本？'],
      ['transport.drug', '药品领送', 'Fetch medicines', 'ypls', 'transport', [20, 15, 10], [60, 45, 30], ['药品箱'], '处方是否已在药房确认？是否需要冷藏？'],
      ['transport.blood', '取血', 'Fetch blood products', 'qx', 'transport', [10, 5, 5], [40, 30, 20], ['血液转运箱'], '用血申请单号？是否急诊用血？'],
      ['transport.document', '文件/病历传送', 'Documents or records', 'wjcs', 'transport', [30, 20, 10], [90, 60, 30], [], '送往哪个科室？需要签收吗？'],
    ],
  },
  {
    code: 'cleaning', name: '保洁', nameEn: 'Cleaning',
    items: [
      ['cleaning.spill', '地面污染/呕吐物', 'Spill or vomit', 'dmwr', 'cleaning', [15, 10, 5], [45, 30, 20], ['拖把', '消毒液', '警示牌'], '是否为血液或体液污染？需要按感染物处理吗？'],
      ['cleaning.terminal', '出院终末消毒', 'Terminal disinfection after discharge', 'zmxd', 'cleaning', [30, 20, 15], [120, 90, 60], ['消毒液', '紫外线灯'], '床号？是否为传染病病人？下一位病人何时入住？'],
      ['cleaning.waste', '医疗垃圾清运', 'Clinical waste collection', 'ljqy', 'cleaning', [30, 20, 10], [90, 60, 30], ['垃圾车'], '垃圾类型（感染性、损伤性）？数量多少袋？'],
      ['cleaning.toilet', '卫生间保洁', 'Toilet cleaning', 'wsjbj', 'cleaning', [30, 20, 10], [60, 45, 30], ['清洁车'], '请问是哪个卫生间？'],
    ],
  },
  {
    code: 'catering', name: '餐饮', nameEn: 'Catering',
    items: [
      ['catering.missing', '病人餐未送达', 'Patient meal missing', 'cwsd', 'catering', [20, 10, 5], [45, 30, 20], ['餐车'], '病人床号和订餐号？有无特殊饮食（糖尿病、流质）？'],
      ['catering.special', '治疗饮食订餐', 'Therapeutic diet order', 'zlys', 'catering', [30, 20, 10], [120, 60, 45], [], '医嘱饮食类型？送餐时间？'],
      ['catering.water', '开水供应', 'Boiled water supply', 'ks', 'catering', [30, 20, 10], [60, 45, 30], ['开水桶'], '哪个病区？需要几桶？'],
    ],
  },
  {
    code: 'inquiry', name: '咨询', nameEn: 'Inquiries',
    items: [
      ['inquiry.general', '后勤服务咨询', 'Logistics question', 'hqzx', 'service_desk', [30, 20, 10], [120, 60, 30], [], '请详细记录咨询内容，能当场答复的当场答复。'],
      ['inquiry.it', '电脑/打印机故障', 'Computer or printer fault', 'dn', 'it', [20, 10, 5], [120, 60, 30], ['工具包'], '电脑资产编号？影响的是 HIS 还是打印？是否能重启？'],
      ['inquiry.network', '网络/电话故障', 'Network or phone fault', 'wl', 'it', [20, 10, 5], [120, 60, 30], ['网线测试仪'], '是单台电脑还是整个科室？电话是否有拨号音？'],
      ['inquiry.supplies', '物资/被服申领', 'Supplies or linen request', 'wz', 'general', [60, 30, 15], [240, 120, 60], ['推车'], '物资名称和数量？是否有库存申请单？'],
      ['inquiry.lost', '失物招领', 'Lost and found', 'swzl', 'service_desk', [60, 30, 15], [480, 240, 120], [], '物品特征、丢失时间和地点？'],
    ],
  },
  {
    code: 'complaint', name: '投诉与反馈', nameEn: 'Complaints & feedback',
    items: [
      ['complaint.service', '服务态度投诉', 'Staff attitude complaint', 'fwtd', 'service_desk', [30, 15, 10], [1440, 480, 240], [], '请记录投诉人、时间、涉及人员与经过，告知 24 小时内回复。'],
      ['complaint.delay', '服务不及时投诉', 'Late service complaint', 'bjs', 'service_desk', [30, 15, 10], [1440, 480, 240], [], '涉及的工单号？等待了多久？'],
      ['complaint.food', '饭菜质量投诉', 'Food quality complaint', 'fczl', 'service_desk', [30, 15, 10], [1440, 480, 240], [], '哪一餐、什么问题？是否有留样？'],
      ['complaint.environment', '环境卫生投诉', 'Cleanliness complaint', 'hjws', 'service_desk', [30, 15, 10], [1440, 480, 240], [], '具体位置和问题？'],
      ['complaint.praise', '表扬与建议', 'Praise or suggestion', 'by', 'service_desk', [60, 30, 15], [2880, 1440, 480], [], '请记录表扬对象与事由。'],
    ],
  },
]

export const DEMO_USERS = [
  { username: 'admin', displayName: '系统管理员', role: 'admin' },
  { username: 'operator', displayName: '受理员 陈静', role: 'operator', phoneDevice: 'PJSIP/8001' },
  { username: 'lead', displayName: '维修班长 王建国', role: 'team_lead', team: 'maintenance', staff: '王建国' },
  { username: 'tech', displayName: '维修工 李明', role: 'technician', team: 'maintenance', staff: '李明' },
  { username: 'manager', displayName: '后勤主任 刘芳', role: 'manager' },
  { username: 'agent', displayName: '回访专员 杨雪', role: 'callback_agent', phoneDevice: 'PJSIP/8002' },
  { username: 'handler', displayName: '科室处理人 徐磊', role: 'dept_handler' },
  // every team's lead (the first of its people) signs in, so an overdue order reaches someone
  { username: 'lead.transport', displayName: '运送组长 张伟', role: 'team_lead', team: 'transport', staff: '张伟' },
  { username: 'lead.cleaning', displayName: '保洁组长 吴秀英', role: 'team_lead', team: 'cleaning', staff: '吴秀英' },
  { username: 'lead.catering', displayName: '餐饮组长 何芳', role: 'team_lead', team: 'catering', staff: '何芳' },
  { username: 'lead.general', displayName: '总务组长 马超', role: 'team_lead', team: 'general', staff: '马超' },
  { username: 'lead.it', displayName: '信息中心组长 林涛', role: 'team_lead', team: 'it', staff: '林涛' },
  { username: 'lead.service_desk', displayName: '客服质控组长 高敏', role: 'team_lead', team: 'service_desk', staff: '高敏' },
] as const
